"""Services: loading and validating ``services/<id>.yaml``, against the checklists the catalog has."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from pathlib import Path

from secaudit.errors import Problem, ServiceError
from secaudit.model import ClassificationScheme, Service
from secaudit.model.classification import refusal
from secaudit.model.common import SLUG_RE
from secaudit.yamlsource import YamlDocument, YamlSourceError, load_yaml


def load_service(path: Path, checklists: Collection[str], scheme: ClassificationScheme) -> Service:
    """Read one service file; the file name must be ``<id>.yaml``, every checklist it names one of ``checklists``
    and its 機密性 a level of ``scheme``.

    ``checklists`` are the ids the catalog in force defines (``Catalog.checklists``); ``scheme`` is the
    workspace's ``classification_scheme``.
    """
    try:
        doc = load_yaml(path)
        service = doc.validate(Service)
    except YamlSourceError as exc:
        raise ServiceError(f"invalid service file {path}", exc.problems) from None
    problems = classification_problems(doc, service, scheme) + checklist_problems(doc, service, checklists)
    if path.stem != service.id:
        problems.insert(
            0, Problem(doc.where(("id",)), f"id: '{service.id}' does not match the file name '{path.name}'")
        )
    if problems:
        raise ServiceError(f"invalid service file {path}", problems)
    return service


def classification_problems(doc: YamlDocument, service: Service, scheme: ClassificationScheme) -> list[Problem]:
    """The service's 機密性 must be a level of the workspace's scheme: a 令和4年版 3 says nothing of 3A/3B/3C."""
    reason = refusal(scheme, service.classification.confidentiality)
    if reason is None:
        return []
    return [Problem(doc.where(("classification", "confidentiality")), f"classification.{reason}")]


def checklist_problems(doc: YamlDocument, service: Service, checklists: Collection[str]) -> list[Problem]:
    """A service must name at least one checklist, and only ones the catalog has.

    An unknown or missing name would drop every control of that checklist without a word, and a
    service with no controls passes the launch gate: so this is an error, never a warning.
    """
    known = ", ".join(sorted(checklists)) or "none"
    if not service.checklists:
        where = doc.where(("checklists",))
        return [
            Problem(where, f"checklists: name at least one checklist to audit the service against (known: {known})")
        ]
    problems = []
    for index, name in enumerate(service.checklists):
        if name in checklists:
            continue
        close = difflib.get_close_matches(name, list(checklists), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        problems.append(
            Problem(
                doc.where(("checklists", index)),
                f"checklists[{index}]: unknown checklist '{name}' ({hint}known: {known})",
            )
        )
    return problems


def service_files(services_dir: Path) -> list[Path]:
    """The service files of a workspace, sorted by name."""
    if not services_dir.is_dir():
        return []
    return sorted(p for p in services_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_services(services_dir: Path, checklists: Collection[str], scheme: ClassificationScheme) -> list[Service]:
    """Every service of a workspace; all problems reported together."""
    services: list[Service] = []
    problems: list[Problem] = []
    for path in service_files(services_dir):
        try:
            services.append(load_service(path, checklists, scheme))
        except ServiceError as exc:
            problems.extend(exc.problems or [Problem(str(path), exc.message)])
    if problems:
        raise ServiceError(f"{len(problems)} problem(s) in service files", problems)
    return services


def find_service(
    services_dir: Path, service_id: str, checklists: Collection[str], scheme: ClassificationScheme
) -> Service:
    """The service with ``service_id``; the id is checked to be a slug before any path is built."""
    if not SLUG_RE.match(service_id):
        raise ServiceError(f"'{service_id}' is not a valid service id (lowercase letters, digits and '-')")
    for suffix in (".yaml", ".yml"):
        path = services_dir / f"{service_id}{suffix}"
        if path.is_file():
            return load_service(path, checklists, scheme)
    raise ServiceError(f"no service '{service_id}' in {services_dir}")


def with_workspace_paths(service: Service, root: Path) -> Service:
    """The service with relative ``ca_bundle`` paths read from the workspace root, wherever the scan runs from."""
    if service.scope is None:
        return service
    targets = [
        t.model_copy(update={"ca_bundle": str(root / t.ca_bundle)})
        if t.ca_bundle and not Path(t.ca_bundle).is_absolute()
        else t
        for t in service.scope.targets
    ]
    return service.model_copy(update={"scope": service.scope.model_copy(update={"targets": targets})})
