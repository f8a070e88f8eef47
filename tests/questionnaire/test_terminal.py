"""The terminal questionnaire: answers from a YAML file, and Rich prompts fed from stdin."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from secaudit.store import open_store
from secaudit.store.answers import answer_sets_of, latest_answers
from secaudit.workspace import find_workspace
from tests.conftest import run_cli
from tests.questionnaire.conftest import TODAY, counts


def _answers(workspace: Path) -> dict:
    return latest_answers(open_store(find_workspace(workspace).database_url), "qtest-svc")


def _prompt(workspace: Path, text: str, *extra: str):
    from secaudit.cli.app import app

    return CliRunner().invoke(
        app,
        ["questionnaire", "answer", "qtest-svc", "--answered-by", "山田 花子", *extra],
        input=text,
        env={"SECAUDIT_WORKSPACE": str(workspace)},
        catch_exceptions=False,
    )


def test_answers_file_mapping_form(qworkspace: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        f"""\
answered_by: 山田 花子
service: qtest-svc
answers:
  QT-5.2-001/q1: {{value: yes, evidence: 研修記録 2026年度}}
  QT-5.2-001/q2: 計画中
  QT-6.1-001/q1: [vendor, jvn]
  QT-6.1-001/q2: 10
  QT-6.1-001/q3: {{value: {TODAY.isoformat()}, evidence: 診断報告書, comment: 外部委託}}
""",
        encoding="utf-8",
    )
    result = run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(answers)], qworkspace)
    assert result.exit_code == 0, result.stderr
    stored = _answers(qworkspace)
    assert stored[("QT-5.2-001", "q1")].value == "yes"
    assert stored[("QT-5.2-001", "q2")].value == "planned"
    assert stored[("QT-6.1-001", "q1")].value == ["vendor", "jvn"]
    assert stored[("QT-6.1-001", "q3")].value == TODAY
    assert stored[("QT-6.1-001", "q3")].comment == "外部委託"
    assert stored[("QT-6.1-001", "q3")].source.value == "file"
    assert answer_sets_of(open_store(find_workspace(qworkspace).database_url), "qtest-svc")[0]["sha256"]


def test_answers_file_list_form_merges_onto_answers_in_force(qworkspace: Path, tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(
        "- {control: QT-5.2-001, question: q1, value: 'はい', evidence: 記録}\n"
        "- {control: QT-5.2-001, question: q2, value: done}\n",
        encoding="utf-8",
    )
    result = run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(first), "--answered-by", "A"], qworkspace)
    assert result.exit_code == 0, result.stderr
    assert "QT-6.1-001/q1: 必須の質問に回答がありません" in result.stderr  # the workspace's language
    second = tmp_path / "second.yaml"
    second.write_text("- {control: QT-5.2-001, question: q2, value: none, comment: 未実施}\n", encoding="utf-8")
    result = run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(second), "--answered-by", "A"], qworkspace)
    assert result.exit_code == 0, result.stderr  # q1 = yes is still in force, so the follow-up may be answered
    assert _answers(qworkspace)[("QT-5.2-001", "q2")].value == "none"


def test_answers_file_errors_name_file_and_line(qworkspace: Path, tmp_path: Path) -> None:
    answers = tmp_path / "bad.yaml"
    answers.write_text(
        "answered_by: A\n"
        "answers:\n"
        "  QT-5.2-001/q1: no\n"
        "  QT-5.2-001/q2: done\n"
        "  QT-6.1-001/q2: lots\n"
        "  QT-9.9-999/q1: yes\n"
        "  QT-6.1-001/q3: {value: 2020-01-01, evidenc: x}\n",
        encoding="utf-8",
    )
    result = run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(answers)], qworkspace)
    assert result.exit_code == 2
    assert f"{answers}:7: evidenc: unknown field" in result.stderr
    answers.write_text(answers.read_text(encoding="utf-8").replace("evidenc", "evidence"), encoding="utf-8")
    result = run_cli(["questionnaire", "answer", "qtest-svc", "--from", str(answers), "--lang", "en"], qworkspace)
    assert result.exit_code == 2
    assert f"{answers}:4: follow-up answered, but No. 1" in result.stderr
    assert f"{answers}:5: 'lots' is not a number" in result.stderr
    assert f"{answers}:6: QT-9.9-999/q1 is not in this questionnaire" in result.stderr
    assert counts(qworkspace)["answers"] == 0


def test_prompts_stop_and_resume_where_the_owner_stopped(qworkspace: Path) -> None:
    first = _prompt(qworkspace, "1\n研修記録\n\n2\n\nq\n")
    assert first.exit_code == 0, first.output
    assert "progress saved" in first.stderr
    assert counts(qworkspace)["answers"] == 0
    status = json.loads(run_cli(["questionnaire", "status", "qtest-svc", "--format", "json"], qworkspace).stdout)
    assert status[0]["unfinished_terminal_answers"] == 2
    second = _prompt(qworkspace, f"1;2\n\nabc\n10\n\n{TODAY.isoformat()}\n診断報告書\n\n-\n")
    assert second.exit_code == 0, second.output
    assert "resuming: 2 question(s)" in second.stderr
    assert "「abc」は数値ではありません" in second.stderr
    assert "No. 1" not in second.stderr.split("resuming")[1]  # the first questions are not asked again
    stored = _answers(qworkspace)
    assert stored[("QT-5.2-001", "q1")].value == "yes"
    assert stored[("QT-5.2-001", "q1")].evidence == "研修記録"
    assert stored[("QT-5.2-001", "q2")].value == "planned"
    assert stored[("QT-6.1-001", "q1")].value == ["vendor", "jvn"]
    assert stored[("QT-6.1-001", "q2")].value == 10
    assert stored[("QT-6.1-001", "q3")].value == TODAY
    assert ("QT-6.1-001", "q4") not in stored
    assert stored[("QT-6.1-001", "q2")].source.value == "terminal"
    status = json.loads(run_cli(["questionnaire", "status", "qtest-svc", "--format", "json"], qworkspace).stdout)
    assert status[0]["unfinished_terminal_answers"] == 0
    assert status[0]["required_missing"] == 0


def test_prompts_refuse_missing_evidence_and_skip_follow_up(qworkspace: Path) -> None:
    result = _prompt(qworkspace, "はい\n\n\nいいえ\n\n\n")
    assert "この回答には証跡（資料名・保管場所）の記入が必要です" in result.stderr
    assert counts(qworkspace)["answers"] == 0  # input ended mid-way: progress kept as a draft, nothing committed
    status = json.loads(run_cli(["questionnaire", "status", "qtest-svc", "--format", "json"], qworkspace).stdout)
    assert status[0]["unfinished_terminal_answers"] == 1
    result = _prompt(qworkspace, "ベンダー通知\n\n20\n\n\n\n")
    assert result.exit_code == 0
    stored = _answers(qworkspace)
    assert stored[("QT-5.2-001", "q1")].value == "no"
    assert ("QT-5.2-001", "q2") not in stored  # the follow-up was never asked after "no"
    assert "QT-6.1-001/q3" in result.stderr and "required answer missing" in result.stderr


def test_prompt_asks_who_answers_when_not_given(qworkspace: Path) -> None:
    from secaudit.cli.app import app

    env = {"SECAUDIT_WORKSPACE": str(qworkspace)}
    result = CliRunner().invoke(app, ["questionnaire", "answer", "qtest-svc"], input="", env=env)
    assert result.exit_code == 0
    assert "nothing saved" in result.stderr
    result = CliRunner().invoke(app, ["questionnaire", "answer", "qtest-svc"], input="鈴木\nいいえ\n\n\nq\n", env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(run_cli(["questionnaire", "status", "qtest-svc", "--format", "json"], qworkspace).stdout)
    assert status[0]["unfinished_terminal_answers"] == 1
