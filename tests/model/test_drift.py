"""Drift vocabulary: the stored values never change, and every part uses the same enums."""

from __future__ import annotations

from secaudit.model.drift import DriftKind, DriftState


def test_drift_states_keep_their_stored_values() -> None:
    assert [s.value for s in DriftState] == ["new", "resolved", "changed"]


def test_drift_kinds_keep_their_stored_values() -> None:
    assert [k.value for k in DriftKind] == [
        "open_port",
        "service_version",
        "tls_protocol",
        "certificate",
        "certificate_expiring",
        "header_missing",
        "header_value",
        "cookie_flag_missing",
        "check_failing",
        "web_finding",
    ]


def test_the_store_the_schedule_and_the_report_share_one_drift_vocabulary() -> None:
    from secaudit import report
    from secaudit.schedule import notify
    from secaudit.store import drift as store_drift

    assert report.DriftState is DriftState
    assert notify.DriftState is DriftState
    assert store_drift.DriftKind is DriftKind and store_drift.DriftState is DriftState
