"""Fixtures of the command-line tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record which services the dashboard evaluates."""
    import secaudit.cli.evaluate as evaluate

    seen: list[str] = []
    real = evaluate.evaluate_service

    def counting(st, service_id, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(service_id)
        return real(st, service_id, *args, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate_service", counting)
    return seen
