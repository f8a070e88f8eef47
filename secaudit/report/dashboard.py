"""The portfolio dashboard: every service at a glance, what needs attention first."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from secaudit import __version__, clock
from secaudit.model import (
    DecisionKind,
    GateReason,
    Language,
    LocalizedText,
    ResultStatus,
    RunStatus,
    ScanRun,
    WorkspaceConfig,
)
from secaudit.model.drift import DriftState
from secaudit.report.charts import level_key
from secaudit.report.input import DriftItem, ReportInput
from secaudit.report.render import render_template
from secaudit.report.wording import Wording

ROW_FORMAT = "4"  # 4: every reason, 未評価, due dates, report links; risks rated by weakness, exposure and dimension
"""Version of the remembered row layout: part of every row's fingerprint, so a new layout re-judges."""

DECISION_ORDER = {DecisionKind.NO_GO: 0, DecisionKind.CONDITIONAL: 1, None: 2, DecisionKind.GO: 3}
LEVEL_ORDER = ("critical", "high", "medium", "low")
_DECISIONS = {kind.value: kind for kind in DecisionKind}


@dataclass(frozen=True)
class RowReason:
    """One reason for a service's launch decision, as the dashboard shows and remembers it.

    A plain copy of the gate's ``GateReason``: a dashboard rebuilds tens of thousands of them from
    remembered rows, which validating each as a model again would make the slowest part of it.
    """

    clause: str
    decision: DecisionKind
    message: str
    message_ja: str | None = None
    refs: tuple[str, ...] = ()

    @classmethod
    def of(cls, reason: GateReason) -> RowReason:
        """The dashboard's copy of a gate reason."""
        return cls(reason.clause, reason.decision, reason.message, reason.message_ja, tuple(reason.refs))

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> RowReason:
        """A reason remembered by ``record``."""
        decision = _DECISIONS[data["decision"]]  # a dict look-up: the Enum call costs more, this many times
        return cls(data["clause"], decision, data["message"], data["message_ja"], tuple(data["refs"]))

    def record(self) -> dict[str, Any]:
        """The reason as plain JSON data (remembered rows and the JSON dashboard)."""
        return {
            "clause": self.clause,
            "decision": self.decision.value,
            "message": self.message,
            "message_ja": self.message_ja,
            "refs": list(self.refs),
        }


@dataclass
class DashboardRow:
    """One service on the dashboard.

    Everything up to ``assessed`` is judged from the service's evidence and remembered between
    dashboards; ``questionnaire_due`` and ``report`` are looked up afresh for every dashboard
    (a questionnaire sent or a report written changes no evidence).
    """

    service_id: str
    name: LocalizedText
    department: str
    launch_date: dt.date | None
    decision: DecisionKind | None
    reasons: list[RowReason]
    pass_rate: float | None
    coverage: float | None
    open_risks: dict[str, int]
    last_scan: ScanRun | None
    drift: list[DriftItem] | None
    answered: int
    questions: int
    assessed: bool = True
    questionnaire_due: dt.date | None = None
    report: Path | None = None

    @property
    def reason(self) -> str:
        """The first reason for the decision (English), or ''."""
        return self.reasons[0].message if self.reasons else ""

    def reasons_in(self, lang: Language | str) -> list[str]:
        """Every reason for the decision, in Japanese when asked (each falls back to English where it has none)."""
        japanese = str(lang) == "ja"
        return [r.message_ja if japanese and r.message_ja else r.message for r in self.reasons]

    @property
    def questionnaire_complete(self) -> bool:
        """True when every required question asked has an answer."""
        return self.answered >= self.questions

    def questionnaire_overdue(self, today: dt.date) -> bool:
        """True when the questionnaire's due date has passed (``today`` in the workspace time zone) unanswered."""
        return self.questionnaire_due is not None and self.questionnaire_due < today and not self.questionnaire_complete

    @property
    def open_total(self) -> int:
        """How many risks are open (any level)."""
        return sum(self.open_risks.values())

    @property
    def drift_counts(self) -> dict[str, int]:
        """Drift items by state (new, resolved, changed)."""
        counts: dict[str, int] = {}
        for item in self.drift or []:
            counts[item.state.value] = counts.get(item.state.value, 0) + 1
        return counts

    @property
    def progress(self) -> float | None:
        """Share of the asked, required questions that have an answer."""
        return self.answered / self.questions if self.questions else None


def questionnaire_progress(data: ReportInput) -> tuple[int, int]:
    """(answered, asked) over the required questions of applicable controls; follow-ups count once asked."""
    given = {(a.control_id, a.question_id): a for a in data.answers}
    answered = asked = 0
    for result in data.results:
        control = data.controls.get(result.control_id)
        if control is None or result.status is ResultStatus.NOT_APPLICABLE:
            continue
        for question in control.questions:
            if not question.required:
                continue
            if question.depends_on is not None:
                parent = given.get((control.id, question.depends_on.question))
                values = parent.value if parent is not None else None
                chosen = {str(v) for v in values} if isinstance(values, list) else {str(values)}
                if parent is None or not chosen & set(question.depends_on.answer_in):
                    continue
            asked += 1
            answered += (control.id, question.id) in given
    return answered, asked


def row_from_input(data: ReportInput, reviewed: bool = False) -> DashboardRow:
    """The dashboard row of one evaluated service; ``reviewed`` says an officer has reviewed any of its controls.

    A service with no answer, no scan run and no review has never been assessed: it has no open
    risks because nothing was looked at, which the dashboard must not show as "0 risks".
    """
    open_risks: dict[str, int] = {}
    for risk in data.register:
        if risk.status.is_open:
            key = level_key(risk.residual_level)
            open_risks[key] = open_risks.get(key, 0) + 1
    answered, asked = questionnaire_progress(data)
    return DashboardRow(
        service_id=data.service.id,
        name=data.service.name,
        department=data.service.department,
        launch_date=data.service.launch_date,
        decision=data.decision.decision,
        reasons=[RowReason.of(reason) for reason in data.decision.reasons],
        pass_rate=data.scores.overall.pass_rate,
        coverage=data.scores.overall.coverage,
        open_risks=open_risks,
        last_scan=data.last_run,
        drift=data.drift,
        answered=answered,
        questions=asked,
        assessed=bool(data.answers) or data.last_run is not None or reviewed,
    )


def row_record(row: DashboardRow) -> dict[str, Any]:
    """The row as plain JSON data, to be remembered between dashboards."""
    return {
        "service_id": row.service_id,
        "name": row.name.model_dump(),
        "department": row.department,
        "launch_date": row.launch_date.isoformat() if row.launch_date else None,
        "decision": row.decision.value if row.decision else None,
        "reasons": [reason.record() for reason in row.reasons],
        "pass_rate": row.pass_rate,
        "coverage": row.coverage,
        "open_risks": row.open_risks,
        "last_scan": row.last_scan.model_dump(mode="json") if row.last_scan else None,
        "drift": None
        if row.drift is None
        else [
            {
                "fingerprint": d.fingerprint,
                "state": d.state.value,
                "summary": d.summary,
                "detected_at": d.detected_at.isoformat(),
            }
            for d in row.drift
        ],
        "answered": row.answered,
        "questions": row.questions,
        "assessed": row.assessed,
    }


def row_from_record(data: dict[str, Any]) -> DashboardRow:
    """A row remembered by ``row_record``."""
    return DashboardRow(
        service_id=data["service_id"],
        name=LocalizedText.model_validate(data["name"]),
        department=data["department"],
        launch_date=dt.date.fromisoformat(data["launch_date"]) if data["launch_date"] else None,
        decision=DecisionKind(data["decision"]) if data["decision"] else None,
        reasons=[RowReason.from_record(reason) for reason in data["reasons"]],
        pass_rate=data["pass_rate"],
        coverage=data["coverage"],
        open_risks=dict(data["open_risks"]),
        last_scan=ScanRun.model_validate(data["last_scan"]) if data["last_scan"] else None,
        drift=None
        if data["drift"] is None
        else [
            DriftItem(
                d["fingerprint"], DriftState(d["state"]), d["summary"], dt.datetime.fromisoformat(d["detected_at"])
            )
            for d in data["drift"]
        ],
        answered=data["answered"],
        questions=data["questions"],
        assessed=data["assessed"],
    )


def attention_key(row: DashboardRow) -> tuple[int, dt.date, int, str]:
    """Sort key: NO-GO first, then CONDITIONAL, undecided, GO; within each the nearest launch date first."""
    launch = row.launch_date or dt.date.max
    return (DECISION_ORDER.get(row.decision, 2), launch, -row.open_total, row.service_id)


@dataclass
class Dashboard:
    """Every service of the workspace, sorted by what needs attention first."""

    config: WorkspaceConfig
    rows: list[DashboardRow]
    generated_at: dt.datetime
    failures: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = sorted(self.rows, key=attention_key)

    @property
    def today(self) -> dt.date:
        """The day the dashboard was made, in the workspace time zone (what "overdue" is judged against)."""
        return self.generated_at.astimezone(self.config.zone).date()

    def departments(self) -> list[str]:
        """Every department that has a service, in order."""
        return sorted({row.department for row in self.rows})

    def by_decision(self) -> dict[str, int]:
        """How many services have each decision."""
        counts: dict[str, int] = {}
        for row in self.rows:
            key = row.decision.value if row.decision else "none"
            counts[key] = counts.get(key, 0) + 1
        return counts


def build_dashboard(
    config: WorkspaceConfig,
    rows: Iterable[DashboardRow],
    generated_at: dt.datetime | None = None,
    failures: list[tuple[str, str]] | None = None,
) -> Dashboard:
    """A dashboard over ``rows`` (any order); ``failures`` lists services that could not be evaluated."""
    return Dashboard(config, list(rows), generated_at or clock.now(), list(failures or []))


def dashboard_json(board: Dashboard) -> bytes:
    """The dashboard as JSON, rows in attention order."""
    rows = [
        {
            "service": row.service_id,
            "name": row.name.model_dump(),
            "department": row.department,
            "launch_date": row.launch_date.isoformat() if row.launch_date else None,
            "decision": row.decision.value if row.decision else None,
            "reason": row.reason,
            "reasons": [reason.record() for reason in row.reasons],
            "assessed": row.assessed,
            "pass_rate": row.pass_rate,
            "coverage": row.coverage,
            "open_risks": {level: row.open_risks.get(level, 0) for level in _levels(board)} if row.assessed else None,
            "last_scan": None
            if row.last_scan is None
            else {
                "run": row.last_scan.id,
                "profile": row.last_scan.profile,
                "started_at": row.last_scan.started_at.isoformat(),
                "status": row.last_scan.status.value,
            },
            "drift": None if row.drift is None else row.drift_counts,
            "questionnaire": {
                "answered": row.answered,
                "questions": row.questions,
                "due": row.questionnaire_due.isoformat() if row.questionnaire_due else None,
                "overdue": row.questionnaire_overdue(board.today),
            },
            "report": str(row.report) if row.report else None,
        }
        for row in board.rows
    ]
    document = {
        "format": "secaudit-dashboard",
        "format_version": 1,
        "secaudit_version": __version__,
        "generated_at": board.generated_at.isoformat(),
        "services": rows,
        "decisions": board.by_decision(),
        "failures": [{"service": sid, "error": message} for sid, message in board.failures],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _levels(board: Dashboard) -> list[str]:
    seen = {level for row in board.rows for level in row.open_risks}
    matrix = LEVEL_ORDER if str(board.config.risk_matrix) == "5x5" else LEVEL_ORDER[1:]
    return [*matrix, *sorted(seen - set(matrix))]


def relative_href(target: Path, folder: Path) -> str | None:
    """A relative link from a page in ``folder`` to the file ``target``, every segment percent-encoded.

    Encoding each segment keeps a name with ``:``, ``#``, ``?`` or a space a plain path: the link can
    never become a scheme, a query or another place. None when no relative path exists (another drive).
    """
    try:
        relative = os.path.relpath(target.absolute(), folder.absolute())
    except ValueError:
        return None
    return "/".join(quote(part, safe="") for part in Path(relative).parts)


@dataclass
class DashboardView:
    """What the dashboard template shows; ``page_dir`` is the folder the page is written to (links start there)."""

    board: Dashboard
    lang: Language
    t: Wording
    levels: list[str]
    tz: dt.tzinfo
    today: dt.date
    page_dir: Path | None = None

    def when(self, value: dt.datetime | dt.date | None) -> str:
        """A time in the workspace time zone, or '-'."""
        if value is None:
            return "-"
        if isinstance(value, dt.datetime):
            return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return value.isoformat()

    def days_left(self, value: dt.date | None) -> int | None:
        """Days from today to ``value``."""
        return None if value is None else (value - self.today).days

    def percent(self, value: float | None) -> str:
        """A rate as a percentage, or '-'."""
        return "-" if value is None else f"{value * 100:.0f}%"

    def scan_ok(self, run: ScanRun | None) -> bool:
        """True when the last scan completed."""
        return run is not None and run.status is RunStatus.COMPLETED

    def report_href(self, row: DashboardRow) -> str | None:
        """The relative link to the service's latest report, or None (no report, or no page folder known)."""
        if row.report is None or self.page_dir is None:
            return None
        return relative_href(row.report, self.page_dir)

    def risk_key(self, row: DashboardRow) -> str:
        """Sort key of the open risks: the count at each level from the highest down, zero-padded so that
        text order is the order of (highest level, its count, ...); '' for a service never assessed."""
        if not row.assessed:
            return ""
        return "".join(f"{row.open_risks.get(level, 0):05d}" for level in self.levels)

    def search_text(self, row: DashboardRow) -> str:
        """What the search box matches in a row: id, both names and department, in lower case."""
        return " ".join((row.service_id, row.name.ja, row.name.en, row.department)).lower()

    def shown_count(self) -> Markup:
        """'200 / 200' as the page says it, the first number in an element the script updates as rows are filtered."""
        total = len(self.board.rows)
        counter = Markup('<span id="shown-count">{}</span>').format(total)
        return Markup(self.t.fmt("shown_count", shown=counter, total=total))  # noqa: S704  (fixed wording, escaped values)


def dashboard_html(board: Dashboard, lang: Language, templates: Path | None = None, page: Path | None = None) -> bytes:
    """The dashboard as one self-contained HTML page; ``page`` is where it will be written (for relative links)."""
    tz = board.config.zone
    view = DashboardView(
        board, lang, Wording(lang), _levels(board), tz, board.today, page.absolute().parent if page else None
    )
    context: dict[str, Any] = {"d": view, "t": view.t}
    return render_template("dashboard.html.j2", context, templates).encode("utf-8")
