"""``secaudit checklist``: validate, list and show controls; Excel authoring; statement of applicability."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secaudit.cli.common import OutputFormat, console, info, print_json, state
from secaudit.model import Domain, Language

if TYPE_CHECKING:
    from secaudit.model import Checklist, Control
    from secaudit.soa import StatementOfApplicability

app = typer.Typer(
    help="Validate, list and show checklist controls; author them in Excel; statement of applicability.",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    """Formats a checklist can be exported to."""

    XLSX = "xlsx"
    YAML = "yaml"


class SoaFormat(StrEnum):
    """Formats of the statement of applicability."""

    TABLE = "table"
    JSON = "json"
    XLSX = "xlsx"


def control_summary(control: Control, checklist: str) -> dict[str, Any]:
    """The fields of a control that listings show."""
    return {
        "id": control.id,
        "checklist": checklist,
        "domain": control.domain.value,
        "section": control.section,
        "control_type": control.control_type.value,
        "severity": control.severity.value,
        "title": {"ja": control.title.ja, "en": control.title.en},
        "questions": len(control.questions),
        "checks": [ref.check for ref in control.checks],
    }


@app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Checklist or scanner files or folders (default: everything in force).", exists=True),
    ] = None,
) -> None:
    """Validate checklist and scanner YAML; every problem is named by file and line (exit 2)."""
    from secaudit.pipeline.checklists import validate_checklists

    catalog = validate_checklists(state(ctx), paths)
    for override in catalog.overrides:
        info(f"note: {override}")
    info(
        f"OK: {len(catalog.controls)} controls in {len(catalog.checklists)} checklist(s), "
        f"{len(catalog.checks)} checks, {len(catalog.profiles)} profiles (catalog {catalog.version})"
    )


@app.command("list")
def list_controls(
    ctx: typer.Context,
    domain: Annotated[Domain | None, typer.Option(help="Only controls of this guideline section.")] = None,
    service: Annotated[str | None, typer.Option(help="Only controls that apply to this service.")] = None,
    checklist: Annotated[str | None, typer.Option(help="Only controls of this checklist.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
    lang: Annotated[Language | None, typer.Option(help="Language of titles in the table.")] = None,
) -> None:
    """List controls, optionally filtered by domain, checklist or the service they apply to."""
    st = state(ctx)
    catalog = st.catalog()
    if service is not None:
        controls = catalog.applicable_controls(st.service(service))
    else:
        controls = list(catalog.controls.values())
    rows = [
        control_summary(c, catalog.control_checklist[c.id])
        for c in controls
        if (domain is None or c.domain is domain)
        and (checklist is None or catalog.control_checklist[c.id] == checklist)
    ]
    if fmt is OutputFormat.JSON:
        print_json(rows)
        return
    from rich.table import Table

    language = lang or _language(st)
    table = Table(title=f"{len(rows)} controls", show_lines=False)
    for column in ("id", "domain", "type", "severity", "title", "assessed by"):
        table.add_column(column)
    for row in rows:
        assessed = ", ".join(
            part
            for part in (f"{row['questions']} question(s)" if row["questions"] else "", ", ".join(row["checks"]))
            if part
        )
        table.add_row(
            row["id"], row["domain"], row["control_type"], row["severity"], row["title"][language.value], assessed
        )
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    control_id: Annotated[str, typer.Argument(metavar="ID", help="Control id, e.g. HUM-5.2-001.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table (text) or json.")] = OutputFormat.TABLE,
    lang: Annotated[Language | None, typer.Option(help="Language of the text.")] = None,
) -> None:
    """Show one control in full: questions, checks, audit procedures, references, remediation."""
    from secaudit.errors import InputError
    from secaudit.model.control import AuditPhase

    st = state(ctx)
    catalog = st.catalog()
    control = catalog.controls.get(control_id)
    if control is None:
        raise InputError(f"no control '{control_id}' in the catalog (see 'secaudit checklist list')")
    if fmt is OutputFormat.JSON:
        data = control.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["checklist"] = catalog.control_checklist[control.id]
        print_json(data)
        return
    language = (lang or _language(st)).value
    out = console()
    out.print(f"[bold]{control.id}[/bold]  {control.title.get(language)}")
    out.print(
        f"checklist {catalog.control_checklist[control.id]} · domain {control.domain.value} (§{control.section}) · "
        f"{control.control_type.value} · severity {control.severity.value}"
    )
    out.print(f"\n{control.rationale.get(language)}")
    if control.applies_if is not None:
        out.print(f"\napplies if: {control.applies_if.describe()}")
    for q in control.questions:
        flags = [q.type.value] + (["required"] if q.required else []) + (["evidence"] if q.requires_evidence else [])
        out.print(f"\n  [{q.id}] {q.text.get(language)}  ({', '.join(flags)})")
        if q.depends_on is not None:
            out.print(f"       asked when {q.depends_on.question} is {' or '.join(q.depends_on.answer_in)}")
        if q.allowed_choices():
            out.print(
                "       answers: " + ", ".join(f"{c.value} ({c.label.get(language)})" for c in q.allowed_choices())
            )
    for ref in control.checks:
        check = catalog.checks.get(ref.check)
        out.print(f"\n  check {ref.check}: {check.title.get(language) if check else '?'}")
    if control.evidence_examples:
        out.print("\nevidence: " + "; ".join(e.get(language) for e in control.evidence_examples))
    for phase, label in ((AuditPhase.DESIGN, "整備状況"), (AuditPhase.OPERATION, "運用状況")):
        procedure = control.audit.phase(phase)
        techniques = ", ".join(t.value for t in procedure.techniques)
        out.print(f"audit, {phase.value} ({label}): {procedure.get(language)}\n       techniques: {techniques}")
    if control.references:
        out.print(
            "references: "
            + "; ".join(
                f"{r.framework.value} {r.id}" + (f" ({r.edition})" if r.edition else "") for r in control.references
            )
        )
    out.print(f"\nremediation: {control.remediation.get(language)}")


def _language(st: Any) -> Language:
    ws = st.optional_workspace()
    return ws.config.language if ws else Language.JA


@app.command("export")
def export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Checklist id (e.g. web-service) or a checklist .yaml file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (.xlsx or .yaml).", dir_okay=False)],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="xlsx (authoring workbook) or yaml.")] = (
        ExportFormat.XLSX
    ),
) -> None:
    """Export a checklist as an Excel authoring workbook (one row per control and question)."""
    from secaudit.errors import InputError
    from secaudit.pipeline.checklists import write_checklist

    suffixes = {ExportFormat.XLSX: (".xlsx",), ExportFormat.YAML: (".yaml", ".yml")}[fmt]
    if output.suffix.lower() not in suffixes:
        raise InputError(f"{output}: --format {fmt.value} writes a {' or '.join(suffixes)} file")
    checklist = _checklist(ctx, name)
    write_checklist(checklist, output, workbook=fmt is ExportFormat.XLSX)
    rows = sum(max(1, len(c.questions)) for c in checklist.controls)
    info(f"wrote {output}: checklist {checklist.checklist.id}, {len(checklist.controls)} controls, {rows} rows")


@app.command("import")
def import_workbook(
    ctx: typer.Context,
    workbook: Annotated[Path, typer.Argument(help="Authoring workbook (.xlsx) to read.", dir_okay=False)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Checklist YAML to write, e.g. checklists/NAME.yaml.", dir_okay=False)
    ],
) -> None:
    """Convert an authoring workbook back to checklist YAML; nothing is written if any row is invalid."""
    from secaudit.errors import InputError
    from secaudit.pipeline.checklists import read_authoring_workbook, write_checklist

    if output.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"{output}: the output is checklist YAML; name it NAME.yaml")
    if not workbook.is_file():
        raise InputError(f"{workbook}: no such file")
    checklist = read_authoring_workbook(state(ctx), workbook)
    write_checklist(checklist, output, workbook=False, source=workbook.name)
    info(f"wrote {output}: checklist {checklist.checklist.id}, {len(checklist.controls)} controls")


@app.command("soa")
def soa(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    fmt: Annotated[SoaFormat, typer.Option("--format", help="table, json or xlsx.")] = SoaFormat.TABLE,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (required for xlsx).", dir_okay=False)
    ] = None,
    lang: Annotated[Language | None, typer.Option(help="Language of the table or workbook.")] = None,
) -> None:
    """Statement of applicability: every control of the service's checklists, applicable or not, and why."""
    from secaudit.errors import InputError
    from secaudit.pipeline.checklists import write_statement
    from secaudit.pipeline.evaluation import answered_results
    from secaudit.soa import statement_of_applicability

    st = state(ctx)
    svc = st.service(service)
    statement = statement_of_applicability(st.catalog(), svc, answered_results(st, svc))
    if fmt is SoaFormat.XLSX:
        if output is None or output.suffix.lower() != ".xlsx":
            raise InputError("--format xlsx needs --output FILE.xlsx")
        write_statement(statement, output, True, lang or _language(st))
        info(f"wrote {output}: {len(statement.applicable)} of {len(statement.entries)} controls apply to {svc.id}")
    elif fmt is SoaFormat.JSON:
        if output is None:
            print_json(statement.as_dict())
        else:
            write_statement(statement, output, False, lang)
            info(f"wrote {output}")
    else:
        if output is not None:
            raise InputError("--output needs --format json or xlsx")
        _print_soa(statement, (lang or _language(st)).value)


def _print_soa(statement: StatementOfApplicability, language: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(
        title=f"{statement.service_id}: {len(statement.applicable)} of {len(statement.entries)} controls apply "
        f"(catalog {statement.catalog_version})"
    )
    for column in ("checklist", "id", "§", "applies"):
        table.add_column(column, no_wrap=True)
    for column in ("title", "reason"):
        table.add_column(column, overflow="fold")
    for entry in statement.entries:
        table.add_row(
            entry.checklist,
            entry.control.id,
            entry.control.section,
            "yes" if entry.applicable else "no",
            escape(entry.control.title.get(language)),
            escape(entry.reason.get(language)),
        )
    console().print(table)


def _checklist(ctx: typer.Context, name: str) -> Checklist:
    """A checklist by id from the catalog in force, or from a YAML file given by path."""
    from secaudit.catalog import YAML_SUFFIXES, validate_checklist_file
    from secaudit.errors import CatalogError, InputError
    from secaudit.model import Checklist
    from secaudit.yamlsource import YamlSourceError, load_yaml

    path = Path(name)
    if path.suffix in YAML_SUFFIXES and path.is_file():
        try:
            return validate_checklist_file(load_yaml(path))
        except YamlSourceError as exc:
            raise CatalogError(f"invalid checklist {path}", exc.problems) from None
    catalog = state(ctx).catalog()
    info_ = catalog.checklists.get(name)
    if info_ is None:
        known = ", ".join(sorted(catalog.checklists)) or "none"
        raise InputError(f"no checklist '{name}' in the catalog (known: {known}), and no such .yaml file")
    return Checklist(checklist=info_, controls=catalog.controls_of([name]), retired=catalog.retired_of(name))
