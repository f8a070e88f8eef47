"""``secaudit service``: list, show and validate services."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from secaudit.cli.common import OutputFormat, console, info, print_json, state
from secaudit.model import Language
from secaudit.model.labels import SCHEME_TEXT, name_of

if TYPE_CHECKING:
    from secaudit.model import Service

app = typer.Typer(help="List, show and validate the services of the workspace.", no_args_is_help=True)


def service_summary(service: Service) -> dict[str, Any]:
    """The fields of a service that listings show."""
    return {
        "id": service.id,
        "name": {"ja": service.name.ja, "en": service.name.en},
        "department": service.department,
        "launch_date": service.launch_date.isoformat() if service.launch_date else None,
        "network_tier": service.attributes.network_tier.value,
        "zone": service.zone,
        "internet_facing": service.attributes.internet_facing,
        "classification": service.classification.model_dump(),
        "checklists": service.checklists,
        "schedule": service.schedule,
    }


@app.command("list")
def list_services(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """List the services of the workspace."""
    st = state(ctx)
    services = st.services()
    rows = [service_summary(s) for s in services]
    if fmt is OutputFormat.JSON:
        print_json(rows)
        return
    from rich.table import Table

    language = st.workspace().config.language.value
    table = Table(title=f"{len(rows)} services")
    for column in ("id", "name", "department", "launch", "tier", "checklists"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["id"],
            row["name"][language],
            row["department"],
            row["launch_date"] or "-",
            row["network_tier"],
            ", ".join(row["checklists"]),
        )
    console().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="Service id.")],
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table (text) or json.")] = OutputFormat.TABLE,
    lang: Annotated[Language | None, typer.Option(help="Language of the text.")] = None,
) -> None:
    """Show a service: attributes, classification, scope and how many controls apply."""
    st = state(ctx)
    service = st.service(service_id)
    catalog = st.catalog()
    applicability = catalog.applicability(service)
    applicable = sum(1 for a in applicability if a.applicable)
    if fmt is OutputFormat.JSON:
        data = service.model_dump(mode="json", exclude_none=True)
        data["applicable_controls"] = applicable
        data["excluded_controls"] = len(applicability) - applicable
        print_json(data)
        return
    language = (lang or st.workspace().config.language).value
    out = console()
    out.print(f"[bold]{service.id}[/bold]  {service.name.get(language)}  ({service.department})")
    out.print(f"owner: {service.owner.name} <{service.owner.email}>")
    out.print(f"security officer: {service.security_officer.name} <{service.security_officer.email}>")
    out.print(f"launch: {service.launch_date or '-'}")
    c = service.classification
    scheme = name_of(SCHEME_TEXT, st.classification_scheme().value, language)
    out.print(f"classification: 機密性 {c.confidentiality} / 完全性 {c.integrity} / 可用性 {c.availability} ({scheme})")
    a = service.attributes
    out.print(
        f"attributes: tier {a.network_tier.value}, internet-facing {a.internet_facing}, "
        f"personal data {a.personal_data}, "
        f"My Number {a.mynumber}, payment {a.payment}, cloud {a.cloud.value}, outsourced {a.outsourced}, "
        f"standard system {a.standard_system}, Government Cloud {a.gov_cloud}, "
        f"generative AI {a.generative_ai}, remote access {a.remote_access}"
    )
    if service.scope is not None:
        out.print(
            f"scope: authorised by {service.scope.authorized_by} until {service.scope.authorized_until}; "
            f"scanned from zone {service.zone}"
        )
        for target in service.scope.targets:
            extra = []
            if target.addresses:
                extra.append("addresses " + ", ".join(str(x) for x in target.addresses))
            if target.ports:
                extra.append("ports " + ", ".join(str(p) for p in target.ports))
            out.print(f"  - {target.label}" + (f" ({'; '.join(extra)})" if extra else ""))
    else:
        out.print("scope: none declared (nothing will be scanned)")
    out.print(f"schedule: {service.schedule or '-'}")
    out.print(
        f"checklists: {', '.join(service.checklists) or '-'}; {applicable} controls apply, "
        f"{len(applicability) - applicable} excluded"
    )


@app.command("validate")
def validate(
    ctx: typer.Context,
    services: Annotated[
        list[str] | None, typer.Argument(metavar="[SERVICE|FILE]...", help="Service ids or files (default: all).")
    ] = None,
) -> None:
    """Validate service files, and the checklists they name against the catalog; every problem is named by
    file, line and field (exit 2)."""
    from secaudit.errors import Problem, ServiceError
    from secaudit.inventory import load_service

    st = state(ctx)
    loaded: list[Service] = []
    problems: list[Problem] = []
    if services:
        for name in services:
            path = Path(name)
            try:
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    loaded.append(load_service(path, st.catalog().checklists, st.classification_scheme()))
                else:
                    loaded.append(st.service(name))
            except ServiceError as exc:
                problems.extend(exc.problems or [Problem(name, exc.message)])
    else:
        loaded = st.services()
    if problems:
        raise ServiceError(f"{len(problems)} problem(s) in service files", problems)
    info(f"OK: {len(loaded)} service(s) valid")
