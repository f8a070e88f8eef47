"""Answers and risks on record for a retired control: explained, never a crash (issue 16)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from secaudit.model import Answer, AnswerSource, ResultStatus, Severity
from secaudit.store import open_store
from secaudit.store.answers import AnswerSet, save_answer_set
from secaudit.store.risks import risk_lifecycle
from tests.conftest import run_cli

SERVICE = "kosodate-portal"
RETIRED = "WEB-6.1-004"  # HTTPS only (redirect and HSTS): now TEC-6.1-008


def test_old_answers_and_an_open_risk_of_a_retired_control_are_explained(workspace: Path) -> None:
    store = open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")
    now = dt.datetime.now(dt.UTC)
    answer = Answer(
        service_id=SERVICE,
        control_id=RETIRED,
        question_id="q1",
        value="yes",
        answered_by="山田 花子",
        answered_at=now,
        source=AnswerSource.WORKBOOK,
        source_ref="old-workbook.xlsx",
    )
    save_answer_set(
        store, AnswerSet(service_id=SERVICE, source=AnswerSource.WORKBOOK, submitted_by="山田 花子"), [answer]
    )
    with store.write() as conn:
        conn.execute(
            risk_lifecycle.insert(),
            [
                {
                    "risk_id": f"R-{SERVICE}-{RETIRED}",
                    "service_id": SERVICE,
                    "control_id": RETIRED,
                    "first_seen": now.isoformat(),
                    "last_seen": now.isoformat(),
                    "last_result": ResultStatus.FAIL.value,
                    "resolved_at": None,
                    "reopened": 0,
                    "reopened_at": None,
                    "last_weakness": Severity.HIGH.value,
                }
            ],
        )
    assessed = run_cli(["assess", SERVICE, "--format", "json"], workspace)
    assert assessed.exit_code == 0, assessed.stderr
    body = json.loads(assessed.stdout)
    assert RETIRED not in {r["control_id"] for r in body["results"]}
    (note,) = body["retired"]
    assert RETIRED in note["en"] and "TEC-6.1-008" in note["en"] and "TEC-6.1-008" in note["ja"]
    table = run_cli(["assess", SERVICE, "--lang", "en"], workspace)
    assert table.exit_code == 0, table.stderr
    assert RETIRED in table.stdout + table.stderr  # the note again: the remembered catalog keeps retired ids
    again = json.loads(run_cli(["assess", SERVICE, "--format", "json"], workspace).stdout)
    assert [n["en"] for n in again["retired"]] == [note["en"]]
    risks = run_cli(["risk", "list", SERVICE, "--format", "json"], workspace)
    assert risks.exit_code == 0, risks.stderr
    assert RETIRED not in {e["control"] for e in json.loads(risks.stdout)}
