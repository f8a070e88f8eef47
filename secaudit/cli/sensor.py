"""``secaudit sensor``: a sensor's key (on the sensor), and the sensors the central workspace trusts."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit.cli.common import OutputFormat, info, print_json, state

app = typer.Typer(
    help="Sensors in separated zones: make a sensor's key, trust a sensor centrally, list trusted sensors.",
    no_args_is_help=True,
)


@app.command("keygen")
def keygen(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="This sensor's name, e.g. lgwan-sensor-1.")],
) -> None:
    """Make this workspace a sensor: an Ed25519 key kept in .secaudit/sensor.key (0600); prints the public key
    to give the central workspace ('secaudit sensor trust NAME PUBLIC_KEY --zone ZONE')."""
    from secaudit.pipeline.bundles import keygen as make

    public = make(state(ctx), name)
    info(f"sensor {name}: key made; on the central workspace run:")
    info(f"  secaudit sensor trust {name} {public} --zone ZONE")
    typer.echo(public)


@app.command("trust")
def trust(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The sensor's name (as given to keygen).")],
    public_key: Annotated[str, typer.Argument(metavar="PUBLIC_KEY", help="The key sensor keygen printed.")],
    zone: Annotated[
        list[str], typer.Option("--zone", help="A zone the sensor may scan (repeat for several): internet, lgwan, ...")
    ],
) -> None:
    """Trust a sensor's bundles for the zones given (replaces an earlier key or zones of that name)."""
    from secaudit.pipeline.bundles import trust as accept

    st = state(ctx)
    sensor = accept(st, name, public_key, zone, st.auditor())
    info(f"sensor {sensor.name} trusted for {', '.join(sensor.zones)}")


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """List the sensors this workspace trusts, with their zones."""
    from secaudit.pipeline.bundles import list_sensors

    rows = list_sensors(state(ctx))
    if fmt is OutputFormat.JSON:
        print_json([{"name": s.name, "public_key": s.public_key, "zones": list(s.zones)} for s in rows])
        return
    for s in rows:
        typer.echo(f"{s.name}\t{','.join(s.zones)}\t{s.public_key}")
