"""Checklists as the officer edits them: validating files against the content in force."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from secaudit.catalog import Catalog
    from secaudit.model import Checklist, Language
    from secaudit.pipeline.session import Session
    from secaudit.soa import StatementOfApplicability


def validate_checklists(session: Session, paths: Sequence[Path] | None = None) -> Catalog:
    """The catalog of ``paths`` (checked against the built-in content they do not replace), or the catalog in
    force without them; raise ``CatalogError`` naming file and line for every problem, assertions included."""
    from secaudit.catalog import Layer, load_catalog, yaml_files
    from secaudit.errors import CatalogError, Problem
    from secaudit.workspace import builtin_dir

    if not paths:
        catalog = session.catalog()
    else:
        files = yaml_files(list(paths))
        if not files:
            raise CatalogError("no .yaml files found in " + ", ".join(str(p) for p in paths))
        given = {f.resolve() for f in files}
        given_ids = {_checklist_id(f) for f in files} - {None}
        # the built-in checks, and the built-in checklists the given ones do not replace, are the reference a
        # given file is checked against (its checks, and the controls a retired control's requirement moved to)
        reference = tuple(
            f
            for f in yaml_files([builtin_dir("scanners"), builtin_dir("checklists")])
            if f.resolve() not in given and _checklist_id(f) not in given_ids
        )
        catalog = load_catalog([Layer("built-in reference", reference), Layer("given", tuple(files))])
        if not catalog.checklists and not catalog.checks and not catalog.profiles:
            raise CatalogError("nothing to validate", [Problem(str(p), "no checklists or checks") for p in paths])
    _validate_assertions(catalog)
    return catalog


def _checklist_id(path: Path) -> str | None:
    """The id a checklist file declares (None for a scanner file, or a file that does not read as YAML)."""
    from secaudit.yamlsource import YamlSourceError, load_yaml

    try:
        data = load_yaml(path).data
    except (YamlSourceError, OSError):
        return None
    header = data.get("checklist") if isinstance(data, dict) else None
    found = header.get("id") if isinstance(header, dict) else None
    return str(found) if found is not None else None


def _validate_assertions(catalog: Catalog) -> None:
    """Each check's assertion must exist for its probe, with parameters it accepts; name file:line."""
    from secaudit.errors import CatalogError, Problem
    from secaudit.scan.judges import check_problems

    problems = [
        Problem(catalog.origins.get(f"check:{check.id}", f"check {check.id}"), f"{p.location}: {p.message}")
        for check in catalog.checks.values()
        for p in check_problems(check)
    ]
    if problems:
        raise CatalogError(f"{len(problems)} problem(s) in scanner checks", problems)


def read_authoring_workbook(session: Session, workbook: Path) -> Checklist:
    """The checklist an authoring workbook holds, its checks checked against the scanners in force (built-in and
    the workspace's own, when there is a workspace); raise naming sheet, row and column for every bad cell."""
    from secaudit.authoring import import_checklist
    from secaudit.catalog import Layer, load_catalog, yaml_files
    from secaudit.workspace import builtin_dir

    folders = [builtin_dir("scanners")]
    ws = session.optional_workspace()
    if ws is not None and ws.local_dir("scanners").is_dir():
        folders.append(ws.local_dir("scanners"))
    scanners = load_catalog([Layer("scanners", tuple(yaml_files(folders)))])
    return import_checklist(workbook, known_checks=set(scanners.checks))


def write_checklist(checklist: Checklist, output: Path, workbook: bool, source: str | None = None) -> None:
    """Write a checklist atomically: as an authoring workbook, or as checklist YAML (``source`` names the workbook
    it was read from, in the YAML's header comment)."""
    from secaudit.atomic import atomic_write_bytes, atomic_write_text
    from secaudit.authoring import checklist_yaml, export_checklist

    if workbook:
        atomic_write_bytes(output, export_checklist(checklist))
    else:
        atomic_write_text(output, checklist_yaml(checklist, source=source))


def write_statement(statement: StatementOfApplicability, output: Path, workbook: bool, lang: Language | None) -> None:
    """Write a statement of applicability atomically: a printable workbook in ``lang``, or JSON."""
    import json

    from secaudit.atomic import atomic_write_bytes, atomic_write_text

    if workbook:
        from secaudit.authoring.soa_book import soa_workbook
        from secaudit.model import Language

        atomic_write_bytes(output, soa_workbook(statement, lang or Language.JA))
    else:
        atomic_write_text(output, json.dumps(statement.as_dict(), ensure_ascii=False, indent=2) + "\n")
