"""The dashboard's memory: each service's row, kept with a fingerprint of everything it was judged from.

A row is reused only while that fingerprint still matches: the service file,
the catalog, the workspace configuration, the day, and the newest answer,
scan run, review, treatment and drift comparison of the service. Anything new
in any of them and the service is judged afresh.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column, String, Table, Text, func, select

from secaudit import clock
from secaudit.store.db import Store
from secaudit.store.schema import metadata

dashboard_rows = Table(
    "dashboard_rows",
    metadata,
    Column("service_id", String(63), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("row", Text, nullable=False),
    Column("computed_at", String(40), nullable=False),
)


def evidence_stamps(store: Store) -> dict[str, str]:
    """Per service, a stamp that changes whenever new evidence or a decision about it is stored."""
    from secaudit.store.answers import answers
    from secaudit.store.drift import drift_comparisons
    from secaudit.store.reviews import reviews
    from secaudit.store.risks import risk_treatments
    from secaudit.store.scans import scan_runs

    queries = {
        "answers": select(answers.c.service_id, func.max(answers.c.id)).group_by(answers.c.service_id),
        "runs": select(
            scan_runs.c.service_id,
            func.max(
                scan_runs.c.started_at + "|" + scan_runs.c.status + "|" + func.coalesce(scan_runs.c.finished_at, "")
            ),
        ).group_by(scan_runs.c.service_id),
        "run_count": select(scan_runs.c.service_id, func.count()).group_by(scan_runs.c.service_id),
        "reviews": select(reviews.c.service_id, func.max(reviews.c.id)).group_by(reviews.c.service_id),
        "treatments": select(risk_treatments.c.service_id, func.max(risk_treatments.c.id)).group_by(
            risk_treatments.c.service_id
        ),
        "drift": select(drift_comparisons.c.service_id, func.max(drift_comparisons.c.compared_at)).group_by(
            drift_comparisons.c.service_id
        ),
    }
    parts: dict[str, dict[str, str]] = {}
    with store.read() as conn:
        for name, query in queries.items():
            for service_id, value in conn.execute(query):
                parts.setdefault(service_id, {})[name] = str(value)
    return {service_id: json.dumps(stamp, sort_keys=True) for service_id, stamp in parts.items()}


def cached_rows(store: Store) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every remembered row, as (fingerprint, row) by service."""
    with store.read() as conn:
        rows = conn.execute(select(dashboard_rows.c.service_id, dashboard_rows.c.fingerprint, dashboard_rows.c.row))
        return {service_id: (fingerprint, json.loads(row)) for service_id, fingerprint, row in rows}


def remember_rows(store: Store, rows: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Keep freshly computed rows (replacing older ones of the same services)."""
    if not rows:
        return
    now = clock.now().isoformat()
    with store.write() as conn:
        conn.execute(dashboard_rows.delete().where(dashboard_rows.c.service_id.in_(list(rows))))
        conn.execute(
            dashboard_rows.insert(),
            [
                {"service_id": sid, "fingerprint": fp, "row": json.dumps(row, ensure_ascii=False), "computed_at": now}
                for sid, (fp, row) in rows.items()
            ],
        )
