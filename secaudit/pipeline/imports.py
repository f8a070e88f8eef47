"""Importing an outside tool's results (nmap, sslyze, testssl.sh) as a scan run of a service.

The file is read within a size limit, recognised (or read as the format named), checked against the
service's declared scope as it was authorised on the day of the scan, and judged by secaudit's own checks.
Anything it reports outside the scope refuses the whole file (exit 2); nothing of a refused file is stored.
The run is stored like a scan of secaudit's own, marked with where it came from (``ScanRun.imported``),
and compared with the previous import of the same format over the same targets (drift).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secaudit import __version__, clock
from secaudit.errors import Problem

if TYPE_CHECKING:
    from secaudit.importers import Importer
    from secaudit.model import Observation, ScanRun, Service
    from secaudit.pipeline.session import Session

AUTO = "auto"
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
"""A file may say it was made this much later than now (clocks differ); later than that is refused."""


@dataclass(frozen=True)
class ImportedRun:
    """An outside tool's results, stored as a run of the service."""

    run: ScanRun
    observations: list[Observation]
    format: str
    sha256: str
    changes: int | None
    """Drift against the previous import of this format over the same targets (None when there is none to run)."""


def formats() -> list[str]:
    """The names ``--format`` takes: ``auto`` and every registered importer."""
    from secaudit.importers import REGISTRY

    return [AUTO, *REGISTRY]


def import_results(session: Session, service_id: str, path: Path, fmt: str, actor: str) -> ImportedRun:
    """Check ``path`` completely, then store what it says as a run of ``service_id`` (or nothing, raising)."""
    from secaudit.importers import UnreadableImport
    from secaudit.importers.base import MAX_IMPORT_BYTES
    from secaudit.model import ScanRun
    from secaudit.scan import scope as scope_guard
    from secaudit.scan.engine import close_as_answered, local_date, scope_record
    from secaudit.scan.errors import ScopeError
    from secaudit.store.scans import insert_complete_run

    service = session.service(service_id)
    config = session.workspace().config
    file = path.name
    data = _read(path, MAX_IMPORT_BYTES)
    importer = _importer(data, fmt, file)
    sha256 = hashlib.sha256(data).hexdigest()
    _refuse_second_import(session, service.id, sha256, file)
    if service.scope is None or not service.scope.targets:
        raise ScopeError(
            f"{file}: {service.id} declares no scan scope; nothing may be imported for it",
            [Problem(f"service {service.id}: scope", "no targets are declared")],
        )
    # the targets as the scope guard approves them; whether the scan was authorised is asked of its own date
    decision = scope_guard.check_scope(service, None, config.scan.denylist, resolver=scope_guard.system_resolver)
    imported = importer.read(data, file, decision)
    now = clock.now()
    _check_time(imported.scanned_at, now, file)
    if imported.outside:
        raise ScopeError(
            f"{file}: results outside the declared scope of {service.id}; nothing was imported",
            [
                Problem(f"{file}: {thing}", f"not within the declared scope of {service.id}")
                for thing in imported.outside
            ],
        )
    if not imported.items:
        raise UnreadableImport(
            f"{file}: the file holds no result for a declared target of {service.id}; nothing was imported",
            [Problem(file, f"no result for a declared target of {service.id}")],
        )
    scanned_on = local_date(imported.scanned_at, config)
    ended = scope_guard.authorisation_problem(service, scanned_on)
    if ended is not None:
        raise ScopeError(
            f"{file}: scanned on {scanned_on}, outside the authorisation of {service.id}; nothing was imported",
            [Problem(ended.location, f"{ended.message}, before the scan ({scanned_on})")],
        )
    facts = [item.facts for item in imported.items]
    run = ScanRun(
        id=uuid.uuid4().hex,
        service_id=service.id,
        profile=f"import-{importer.format}",
        started_at=imported.scanned_at,
        finished_at=imported.scanned_at,
        secaudit_version=__version__,
        nmap_version=imported.tool_version if importer.tool == "nmap" else None,
        scope={
            **scope_record(service, decision, {f.target for f in facts}),
            "imported": {
                "format": importer.format,
                "tool": imported.tool,
                "tool_version": imported.tool_version,
                "file": file,
                "sha256": sha256,
                "size": len(data),
                "scanned_at": imported.scanned_at.isoformat(),
                "imported_at": now.isoformat(),
                "imported_by": actor,
            },
        },
    )
    close_as_answered(run, facts)
    observations = _observe(session, run, service, importer, imported)
    rows: list[tuple[str, str, dict[str, Any]]] = [(f.kind, f.target, f.model_dump(mode="json")) for f in facts]
    details: dict[str, Any] = {
        "format": importer.format,
        "tool": imported.tool,
        "tool_version": imported.tool_version,
        "file": file,
        "sha256": sha256,
        "observations": len(observations),
    }
    insert_complete_run(
        session.store(), run, observations, rows, imported.raw_nmap_xml, actor, details, event="scan.import"
    )
    from secaudit.pipeline.bundles import record_drift

    changes = record_drift(session, run, observations, rows, actor)
    return ImportedRun(run, observations, importer.format, sha256, changes)


def _read(path: Path, limit: int) -> bytes:
    from secaudit.importers import UnreadableImport

    try:
        size = path.stat().st_size
        if size > limit:
            raise UnreadableImport(
                f"{path.name}: {size:,} bytes is larger than the {limit // (1024 * 1024)} MiB an import reads; refused",
                [Problem(str(path), f"larger than {limit // (1024 * 1024)} MiB")],
            )
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UnreadableImport(
            f"{path}: cannot read the file ({exc.strerror})", [Problem(str(path), str(exc.strerror))]
        ) from None
    if len(data) > limit:  # it grew while it was read
        raise UnreadableImport(f"{path.name}: larger than {limit // (1024 * 1024)} MiB; refused")
    if not data.strip():
        raise UnreadableImport(f"{path.name}: the file is empty", [Problem(str(path), "empty")])
    return data


def _importer(data: bytes, fmt: str, file: str) -> Importer:
    from secaudit.importers import REGISTRY, UnreadableImport, detect

    if fmt == AUTO:
        found = detect(data)
        if found is None:
            known = ", ".join(REGISTRY)
            raise UnreadableImport(
                f"{file}: not recognised as any format secaudit imports ({known}); name one with --format",
                [Problem(file, f"format not recognised (known: {known})")],
            )
        return found
    importer = REGISTRY.get(fmt)
    if importer is None:
        known = ", ".join(formats())
        raise UnreadableImport(f"--format: unknown format {fmt!r} (known: {known})", [Problem("--format", fmt)])
    other = None if importer.detect(data) else detect(data)
    if other is not None:
        raise UnreadableImport(
            f"{file}: not {fmt} output; it looks like {other.format}; nothing was imported",
            [Problem(file, f"not {fmt}; it looks like {other.format}")],
        )
    return importer  # a damaged file of the format named is told where its damage is, by its reader


def _refuse_second_import(session: Session, service_id: str, sha256: str, file: str) -> None:
    from secaudit.importers import UnreadableImport
    from secaudit.store.scans import runs_of

    for run in runs_of(session.store(), service_id, limit=500):
        if run.imported is not None and run.imported.get("sha256") == sha256:
            raise UnreadableImport(
                f"{file}: this file was imported already, as run {run.id} "
                f"(scanned {run.started_at.isoformat(timespec='minutes')}); nothing was imported",
                [Problem(file, f"imported already as run {run.id}")],
            )


def _check_time(scanned_at: dt.datetime, now: dt.datetime, file: str) -> None:
    from secaudit.importers import UnreadableImport

    if scanned_at > now + FUTURE_TOLERANCE:
        raise UnreadableImport(
            f"{file}: the file says it was scanned at {scanned_at.isoformat(timespec='minutes')}, "
            f"later than now ({now.isoformat(timespec='minutes')}); nothing was imported",
            [Problem(file, "scan time in the future")],
        )


def _observe(session: Session, run: ScanRun, service: Service, importer: Importer, imported: Any) -> list[Observation]:
    from secaudit.scan.judges import validate_checks, with_workspace_defaults
    from secaudit.scan.judges.base import Said
    from secaudit.scan.observe import Source, observe

    catalog = session.catalog()
    checks = [c for c in catalog.checks.values() if c.probe in imported.probes]
    parameters = with_workspace_defaults(validate_checks(checks), session.workspace().config.scan)
    tool = f"{imported.tool} {imported.tool_version}" if imported.tool_version else imported.tool
    source = Source(
        Said(f"imported from {tool}", f"{tool} から取込"),
        {"tool": imported.tool, "version": imported.tool_version, "run": run.id},
    )
    return observe(
        run.id,
        service.id,
        run.started_at,
        checks,
        parameters,
        [item.facts for item in imported.items],
        source=source,
        unanswered=[item.unanswered for item in imported.items],
    )
