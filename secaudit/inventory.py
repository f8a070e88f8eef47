"""Services: loading and validating ``services/<id>.yaml``."""

from __future__ import annotations

from pathlib import Path

from secaudit.errors import Problem, ServiceError
from secaudit.model import Service
from secaudit.model.common import SLUG_RE
from secaudit.yamlsource import YamlSourceError, load_yaml


def load_service(path: Path) -> Service:
    """Read one service file; the file name must be ``<id>.yaml``."""
    try:
        doc = load_yaml(path)
        service = doc.validate(Service)
    except YamlSourceError as exc:
        raise ServiceError(f"invalid service file {path}", exc.problems) from None
    if path.stem != service.id:
        raise ServiceError(
            f"invalid service file {path}",
            [Problem(doc.where(("id",)), f"id: '{service.id}' does not match the file name '{path.name}'")],
        )
    return service


def service_files(services_dir: Path) -> list[Path]:
    """The service files of a workspace, sorted by name."""
    if not services_dir.is_dir():
        return []
    return sorted(p for p in services_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_services(services_dir: Path) -> list[Service]:
    """Every service of a workspace; all problems reported together."""
    services: list[Service] = []
    problems: list[Problem] = []
    for path in service_files(services_dir):
        try:
            services.append(load_service(path))
        except ServiceError as exc:
            problems.extend(exc.problems or [Problem(str(path), exc.message)])
    if problems:
        raise ServiceError(f"{len(problems)} problem(s) in service files", problems)
    return services


def find_service(services_dir: Path, service_id: str) -> Service:
    """The service with ``service_id``; the id is checked to be a slug before any path is built."""
    if not SLUG_RE.match(service_id):
        raise ServiceError(f"'{service_id}' is not a valid service id (lowercase letters, digits and '-')")
    for suffix in (".yaml", ".yml"):
        path = services_dir / f"{service_id}{suffix}"
        if path.is_file():
            return load_service(path)
    raise ServiceError(f"no service '{service_id}' in {services_dir}")
