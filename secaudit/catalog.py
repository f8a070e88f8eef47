"""Loading and validating checklists and scanner definitions; applicability.

Content comes in layers: the built-in folders shipped with secaudit, then a
workspace's own ``checklists/`` and ``scanners/``. A later layer adds entries
or overrides earlier ones by id; the same id twice within one layer is an
error. Every problem names the file and line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from secaudit.errors import CatalogError, Problem
from secaudit.model import (
    Check,
    Checklist,
    ChecklistInfo,
    Control,
    ControlScope,
    LocalizedText,
    Profile,
    Question,
    ScannerFile,
    Service,
)
from secaudit.model.condition import explain
from secaudit.model.control import RetiredControl
from secaudit.yamlsource import YamlDocument, YamlSourceError, load_yaml

YAML_SUFFIXES = (".yaml", ".yml")
EntryT = TypeVar("EntryT", Check, Profile)


@dataclass(frozen=True)
class Layer:
    """One source of content: a name (built-in, workspace, ...) and its files."""

    name: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Applicability:
    """Whether a control applies to a service, and if not, the condition that excluded it."""

    control: Control
    checklist: str
    applicable: bool
    reason: LocalizedText


@dataclass
class Catalog:
    """All controls, checks and profiles in force, with where each came from."""

    checklists: dict[str, ChecklistInfo] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    control_checklist: dict[str, str] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    retired: dict[str, RetiredControl] = field(default_factory=dict)
    """Control ids withdrawn from the checklists, with where the requirement went: old answers and risks
    for them are explained, and the ids are never reused."""
    retired_checklist: dict[str, str] = field(default_factory=dict)
    """Retired control id -> the checklist that retired it."""
    origins: dict[str, str] = field(default_factory=dict)
    overrides: list[Problem] = field(default_factory=list)
    digest: str = ""
    _applicability: dict[tuple[Any, ...], list[Applicability]] = field(default_factory=dict, repr=False, compare=False)
    _choices: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def version(self) -> str:
        """A short fingerprint of every file that made this catalog."""
        return self.digest[:12]

    def controls_of(self, checklist_ids: Iterable[str]) -> list[Control]:
        """The controls of the named checklists, in catalog order."""
        wanted = set(checklist_ids)
        return [c for cid, c in self.controls.items() if self.control_checklist[cid] in wanted]

    def applicability(self, service: Service) -> list[Applicability]:
        """Every control of the service's checklists, applicable or not, with the reason.

        The answer depends only on the service's checklists and facts, so it is worked out
        once per distinct combination (a catalog is not changed once loaded).
        """
        facts = service.facts()
        key = (len(self.controls), tuple(service.checklists), tuple(sorted(facts.items())))
        known = self._applicability.get(key)
        if known is None:
            known = self._applicability[key] = self._applicability_of(service.checklists, facts)
        return list(known)

    def _applicability_of(self, checklists: Iterable[str], facts: dict[str, Any]) -> list[Applicability]:
        result = []
        for control in self.controls_of(checklists):
            checklist = self.control_checklist[control.id]
            condition = control.applies_if
            applies = condition is None or condition.evaluate(facts)
            result.append(Applicability(control, checklist, applies, explain(condition, facts)))
        return result

    def answer_choices(self, control: Control, question: Question) -> frozenset[str]:
        """The values an answer to ``question`` may take (empty when any value is allowed), worked out once."""
        key = (control.id, question.id)
        known = self._choices.get(key)
        if known is None or self.controls.get(control.id) is not control:
            known = frozenset(c.value for c in question.allowed_choices())
            if self.controls.get(control.id) is control:
                self._choices[key] = known
        return known

    def retired_of(self, checklist_id: str) -> list[RetiredControl]:
        """The controls one checklist retired, in the order it lists them."""
        return [r for cid, r in self.retired.items() if self.retired_checklist.get(cid) == checklist_id]

    def retired_notes(self, control_ids: Iterable[str]) -> list[LocalizedText]:
        """Why evidence on record for ``control_ids`` is no longer judged: one note per retired control among them."""
        notes = []
        for control_id in sorted(set(control_ids)):
            retired = self.retired.get(control_id)
            if retired is None:
                continue
            now_ja = "、".join(retired.replaced_by) or "なし"
            now_en = ", ".join(retired.replaced_by) or "no other control"
            notes.append(
                LocalizedText(
                    ja=f"{control_id}は廃止された管理策です（{retired.reason.ja}）。"
                    f"記録された回答・リスクは判定に使われず、要求事項は{now_ja}で判定されます。",
                    en=f"{control_id} is a retired control ({retired.reason.en}); answers and risks on record "
                    f"for it are no longer judged, and its requirement is now judged under {now_en}.",
                )
            )
        return notes

    def applicable_controls(self, service: Service) -> list[Control]:
        """The controls that apply to the service."""
        return [a.control for a in self.applicability(service) if a.applicable]

    def organisation_controls(self) -> list[Control]:
        """The city-wide controls (``scope: organisation``) of every checklist, in catalog order."""
        return [c for c in self.controls.values() if c.scope is ControlScope.ORGANISATION]

    def organisation_control_ids(self) -> frozenset[str]:
        """The ids of the city-wide controls: the ones whose answers services inherit."""
        return frozenset(c.id for c in self.organisation_controls())


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """YAML files under ``paths`` (files as given, folders searched recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def load_catalog(layers: Sequence[Layer]) -> Catalog:
    """Load and cross-check every layer; raise ``CatalogError`` listing all problems."""
    catalog = Catalog()
    problems: list[Problem] = []
    digest = hashlib.sha256()
    check_refs: list[tuple[str, str, str]] = []
    seen_paths: set[Path] = set()
    for layer in layers:
        defined_here: dict[str, str] = {}
        for path in layer.files:
            resolved = path.resolve()
            if resolved in seen_paths:
                continue
            seen_paths.add(resolved)
            try:
                doc = load_yaml(path)
            except YamlSourceError as exc:
                problems.extend(exc.problems)
                continue
            digest.update(str(path.name).encode() + b"\0" + path.read_bytes())
            problems.extend(_load_document(doc, layer, catalog, defined_here, check_refs))
    for control_id, check_id, where in check_refs:
        if control_id in catalog.controls and check_id not in catalog.checks:
            problems.append(Problem(where, f"control {control_id} references unknown check '{check_id}'"))
    problems.extend(_check_retired(catalog))
    if problems:
        raise CatalogError(f"{len(problems)} problem(s) in checklists or scanners", problems)
    catalog.digest = digest.hexdigest()
    return catalog


def _load_document(
    doc: YamlDocument,
    layer: Layer,
    catalog: Catalog,
    defined_here: dict[str, str],
    check_refs: list[tuple[str, str, str]],
) -> list[Problem]:
    data = doc.data
    if not isinstance(data, dict):
        return [Problem(doc.where(), "expected a mapping with 'checklist' and 'controls', or 'checks'/'profiles'")]
    if "checklist" in data or "controls" in data:
        return _load_checklist(doc, layer, catalog, defined_here, check_refs)
    if "checks" in data or "profiles" in data:
        return _load_scanners(doc, layer, catalog, defined_here)
    return [
        Problem(
            doc.where(),
            "not a checklist (needs 'checklist:' and 'controls:') nor a scanner file ('checks:', 'profiles:')",
        )
    ]


def _register(
    kind: str,
    entry_id: str,
    where: str,
    layer: Layer,
    catalog: Catalog,
    defined_here: dict[str, str],
    existing: dict[str, Any],
) -> Problem | None:
    key = f"{kind}:{entry_id}"
    if key in defined_here:
        return Problem(where, f"duplicate {kind} id '{entry_id}' (first defined at {defined_here[key]})")
    defined_here[key] = where
    if entry_id in existing:
        catalog.overrides.append(
            Problem(where, f"{layer.name} {kind} '{entry_id}' overrides {catalog.origins.get(key, 'an earlier one')}")
        )
    catalog.origins[key] = where
    return None


def _load_checklist(
    doc: YamlDocument,
    layer: Layer,
    catalog: Catalog,
    defined_here: dict[str, str],
    check_refs: list[tuple[str, str, str]],
) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []
    unknown = sorted(set(data) - {"checklist", "controls", "retired"})
    for key in unknown:
        problems.append(Problem(doc.where((key,)), f"{key}: unknown field"))
    try:
        info = doc.validate(ChecklistInfo, data.get("checklist"), ("checklist",))
    except YamlSourceError as exc:
        return problems + exc.problems
    raw_controls = data.get("controls")
    if not isinstance(raw_controls, list):
        return problems + [Problem(doc.where(("controls",)), "controls: expected a list of controls")]
    problem = _register(
        "checklist", info.id, doc.where(("checklist",)), layer, catalog, defined_here, catalog.checklists
    )
    if problem:
        return problems + [problem]
    catalog.checklists[info.id] = info
    for index, raw in enumerate(raw_controls):
        loc = ("controls", index)
        try:
            control = doc.validate(Control, raw, loc)
        except YamlSourceError as exc:
            problems.extend(exc.problems)
            continue
        where = doc.where(loc)
        problem = _register("control", control.id, where, layer, catalog, defined_here, catalog.controls)
        if problem:
            problems.append(problem)
            continue
        problems.extend(_check_dependencies(doc, loc, control))
        # An override replaces the control's content but keeps it in the checklist it came from,
        # so services that list only that checklist still see it.
        catalog.control_checklist.setdefault(control.id, info.id)
        catalog.controls[control.id] = control
        for i, ref in enumerate(control.checks):
            check_refs.append((control.id, ref.check, doc.where(loc + ("checks", i))))
    problems.extend(_load_retired(doc, catalog, info.id))
    return problems


def _load_retired(doc: YamlDocument, catalog: Catalog, checklist_id: str) -> list[Problem]:
    raw = doc.data.get("retired")
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [Problem(doc.where(("retired",)), "retired: expected a list of {id, replaced_by, reason}")]
    problems: list[Problem] = []
    for index, entry in enumerate(raw):
        try:
            retired = doc.validate(RetiredControl, entry, ("retired", index))
        except YamlSourceError as exc:
            problems.extend(exc.problems)
            continue
        catalog.retired[retired.id] = retired
        catalog.retired_checklist[retired.id] = checklist_id
        catalog.origins[f"retired:{retired.id}"] = doc.where(("retired", index))
    return problems


def _check_retired(catalog: Catalog) -> list[Problem]:
    """A retired id is never reused, and the controls said to carry its requirement exist."""
    problems = []
    for control_id, retired in catalog.retired.items():
        where = catalog.origins.get(f"retired:{control_id}", control_id)
        if control_id in catalog.controls:
            problems.append(
                Problem(where, f"{control_id} is retired and must not be defined again (ids are never reused)")
            )
        for successor in retired.replaced_by:
            if successor not in catalog.controls:
                problems.append(Problem(where, f"retired {control_id} is replaced by unknown control '{successor}'"))
    return problems


def _check_dependencies(doc: YamlDocument, loc: tuple[str | int, ...], control: Control) -> list[Problem]:
    problems = []
    by_id = {q.id: q for q in control.questions}
    for i, question in enumerate(control.questions):
        dep = question.depends_on
        if dep is None:
            continue
        where = doc.where(loc + ("questions", i, "depends_on"))
        target = by_id.get(dep.question)
        if target is None:
            problems.append(Problem(where, f"{control.id}/{question.id} depends on unknown question '{dep.question}'"))
            continue
        allowed = {c.value for c in target.allowed_choices()}
        for value in dep.answer_in:
            if allowed and value not in allowed:
                problems.append(
                    Problem(where, f"{control.id}/{question.id}: '{value}' is not an answer of '{dep.question}'")
                )
    for start in control.questions:
        chain = [start.id]
        current = start
        while current.depends_on is not None and current.depends_on.question in by_id:
            nxt = current.depends_on.question
            if nxt in chain:
                cycle = " -> ".join(chain[chain.index(nxt) :] + [nxt])
                index = [q.id for q in control.questions].index(start.id)
                problems.append(
                    Problem(
                        doc.where(loc + ("questions", index, "depends_on")), f"{control.id}: dependency cycle {cycle}"
                    )
                )
                break
            chain.append(nxt)
            current = by_id[nxt]
        if problems and "cycle" in problems[-1].message:
            break
    return problems


def _load_scanners(doc: YamlDocument, layer: Layer, catalog: Catalog, defined_here: dict[str, str]) -> list[Problem]:
    data = doc.data
    problems: list[Problem] = []
    for key in sorted(set(data) - {"checks", "profiles"}):
        problems.append(Problem(doc.where((key,)), f"{key}: unknown field"))
    problems.extend(_load_entries(doc, layer, catalog, defined_here, "checks", Check, catalog.checks, "check"))
    problems.extend(_load_entries(doc, layer, catalog, defined_here, "profiles", Profile, catalog.profiles, "profile"))
    return problems


def _load_entries(
    doc: YamlDocument,
    layer: Layer,
    catalog: Catalog,
    defined_here: dict[str, str],
    field_name: str,
    model: type[EntryT],
    registry: dict[str, EntryT],
    kind: str,
) -> list[Problem]:
    raw_list = doc.data.get(field_name, [])
    if raw_list is None:
        return []
    if not isinstance(raw_list, list):
        return [Problem(doc.where((field_name,)), f"{field_name}: expected a list")]
    problems: list[Problem] = []
    for index, raw in enumerate(raw_list):
        loc = (field_name, index)
        try:
            entry = doc.validate(model, raw, loc)
        except YamlSourceError as exc:
            problems.extend(exc.problems)
            continue
        problem = _register(kind, entry.id, doc.where(loc), layer, catalog, defined_here, registry)
        if problem:
            problems.append(problem)
            continue
        registry[entry.id] = entry
    return problems


def validate_scanner_file(doc: YamlDocument) -> ScannerFile:
    """Validate a whole scanner file at once (used by tools that rewrite one)."""
    return doc.validate(ScannerFile)


def validate_checklist_file(doc: YamlDocument) -> Checklist:
    """Validate a whole checklist file at once (used by the Excel authoring round trip)."""
    return doc.validate(Checklist)
