"""The report's view model: what each section shows, computed once from a ReportInput.

Templates only lay this out; every decision about what is a finding, a
recommendation or good practice, and the opinion's wording, is made here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from markupsafe import Markup

from secaudit.audit_procedures import count_techniques
from secaudit.model import (
    ORGANISATION_ID,
    Answer,
    Control,
    ControlResult,
    Language,
    Observation,
    ResultStatus,
    RiskEntry,
    Severity,
    StatusCounts,
    TrailEntry,
    TrailVerdict,
)
from secaudit.model.control import AuditPhase, Procedure
from secaudit.model.finding import FindingKind, classify
from secaudit.model.labels import PROCEDURE_TEXT, name_of
from secaudit.report import charts
from secaudit.report.input import ReportInput
from secaudit.report.opinion import opinion_paragraphs
from secaudit.report.wording import Wording

STATUS_ORDER = [s.value for s in ResultStatus]


@dataclass
class FindingView:
    """One control in the findings, recommendations or good-practice section."""

    result: ControlResult
    control: Control | None
    risk: RiskEntry | None
    title: str
    rationale: str
    remediation: str
    references: list[str]
    evidence: list[TrailEntry]
    waived: bool = False

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key: risk level first, then severity (higher first)."""
        return (self.risk.level_rank if self.risk else 0, self.result.severity.rank)


@dataclass
class ControlRow:
    """One line of Appendix A: a control, its result, and the trail behind it."""

    result: ControlResult
    title: str
    section: str
    answers: list[Answer]
    trail: list[TrailEntry]


@dataclass
class Method:
    """One audit technique: what it consisted of, on how many controls each phase called for it
    (整備状況 design, 運用状況 operation), and how many pieces of evidence secaudit holds from it
    (None: secaudit records none of this kind; the auditor keeps them in the working papers)."""

    name: str
    what: str
    design: int
    operation: int
    evidence: int | None


@dataclass
class CriteriaRow:
    """One checklist used as audit criteria (監査基準): its title, version, what it rests on, its reach."""

    checklist_id: str
    title: str
    version: str
    basis: str
    applicable: int
    total: int


@dataclass
class ReasonGroup:
    """The reasons of one gate clause, one line each, under one heading (None: the lines say it all)."""

    clause: str
    decision: str
    lines: list[str]
    heading: str | None = None


@dataclass
class GoodPracticeRow:
    """良好事項 of one guideline section, summarised: how many controls are met, the weightiest by name."""

    domain: str
    met: int
    applicable: int
    notable: list[str]


@dataclass
class LimitView:
    """An unverified control: a limit of the audit (監査範囲の制約), with what to do next."""

    result: ControlResult
    title: str
    status: str
    next_step: str


@dataclass
class ReportView:
    """Everything the report templates show, in one language."""

    data: ReportInput
    lang: Language
    t: Wording
    title: str
    organisation: str
    service_name: str
    auditor: str
    period_start: dt.datetime | None
    period_end: dt.datetime
    methods: list[Method]
    criteria: list[CriteriaRow]
    baselines: list[str]
    reason_groups: list[ReasonGroup]
    not_applicable: int
    status_counts: list[tuple[str, int]]
    not_assessed: int
    findings: list[FindingView]
    recommendations: list[FindingView]
    good_practice: list[FindingView]
    good_summary: list[GoodPracticeRow]
    limits: list[LimitView]
    register: list[RiskEntry]
    open_risks: list[RiskEntry]
    controls: list[ControlRow]
    observations: list[Observation]
    opinion: list[str]
    matrix_size: int
    charts: dict[str, Markup] = field(default_factory=dict)
    levels: dict[tuple[int, int], str] = field(default_factory=dict)
    tz: dt.tzinfo = dt.UTC

    def when(self, value: dt.datetime | dt.date | None) -> str:
        """A time in the workspace's time zone (a date as it is); '-' when missing."""
        if value is None:
            return "-"
        if isinstance(value, dt.datetime):
            return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")
        return value.isoformat()

    def day(self, value: dt.datetime | None) -> str:
        """The date of a moment in the workspace's time zone; '-' when missing."""
        if value is None:
            return "-"
        return value.astimezone(self.tz).date().isoformat()

    @property
    def period(self) -> str:
        """The audit period as dates in the workspace's time zone: one date when it began and ended the same day."""
        start, end = self.day(self.period_start), self.day(self.period_end)
        return end if start in (end, "-") else f"{start} – {end}"

    def percent(self, value: float | None) -> str:
        """A rate as a percentage, or '-' when it cannot be computed."""
        return "-" if value is None else f"{value * 100:.1f}%"

    def level_class(self, level: str) -> str:
        """The CSS class suffix of a risk level (low, medium, high, critical, or the level as given)."""
        return charts.level_key(level)

    def rationale(self, risk: RiskEntry) -> str:
        """Why a risk has its rating, in the report's language when that wording exists."""
        if self.lang is Language.JA and risk.rationale_ja:
            return risk.rationale_ja
        return risk.rationale

    def reason(self, result: ControlResult) -> str:
        """Why a control has its status, in the report's language."""
        if self.lang is Language.JA and result.reason_ja:
            return result.reason_ja
        return result.reason

    def answer_value(self, answer: Answer) -> str:
        """An answer as its owner saw it: the choices' labels, はい/いいえ, a date; never an internal code."""
        control = self.data.controls.get(answer.control_id)
        question = control.question(answer.question_id) if control else None
        labels = {c.value: c.label.get(self.lang) for c in question.allowed_choices()} if question else {}
        values = answer.value if isinstance(answer.value, list) else [answer.value]
        shown = []
        for value in values:
            if isinstance(value, bool):
                shown.append(self.t.yes if value else self.t.no)
            elif isinstance(value, dt.date):
                shown.append(value.isoformat())
            else:
                shown.append(labels.get(str(value), str(value)))
        return "、".join(shown) if self.lang is Language.JA else ", ".join(shown)

    def trail_text(self, entry: TrailEntry) -> str:
        """One piece of evidence in words: an answer by its labels and its evidence, else the summary."""
        if entry.kind == "answer" and "/" in entry.ref:
            control_id, question_id = entry.ref.split("/", 1)
            found = self._answer(control_id, question_id)
            if found is not None and entry.verdict is TrailVerdict.MISSING:
                # an answer on record that no longer stands (its evidence expired): say why, not the answer
                return (entry.summary_ja or entry.summary) if self.lang is Language.JA else entry.summary
            if found is not None:
                text = self.answer_value(found)
                if found.evidence:
                    text += (
                        f"（{self.t.evidence}: {found.evidence}）"
                        if self.lang is Language.JA
                        else (f" (evidence: {found.evidence})")
                    )
                if found.from_organisation:
                    text += f" — {self.inherited(found)}"
                return text
            if entry.verdict in (TrailVerdict.MISSING, TrailVerdict.SKIPPED):
                return self.t.verdict_name(entry.verdict)
        if self.lang is Language.JA and entry.summary_ja:
            return entry.summary_ja
        return entry.summary

    def inherited(self, answer: Answer) -> str:
        """Where a city-wide answer a service inherits was given: 全庁共通の回答（質問票 X、who、when）."""
        sep = "、" if self.lang is Language.JA else ", "
        source = f"{self.t.source_name(answer.source.value)} {answer.source_ref or ''}".strip()
        details = sep.join((source, answer.answered_by, self.when(answer.answered_at)))
        return self.t.inherited_from(details)

    def trail_source(self, entry: TrailEntry) -> str:
        """Where a piece of evidence came from, in the report's language."""
        return self._source_words(entry.source or "")

    def _source_words(self, source: str) -> str:
        kind, _, rest = source.partition(": ") if not source.startswith("scan run ") else ("scan", "", source[9:])
        if kind == ORGANISATION_ID:
            return self.t.inherited_from(self._source_words(rest))
        word = self.t.source_name(kind)
        return f"{word} {rest}".strip() if word else source

    @cached_property
    def provenance(self) -> str:
        """Where the evidence of this report came from, said once: who answered in which workbook and when,
        and the scan run."""
        sep = "、" if self.lang is Language.JA else "; "
        seen: dict[tuple[str, str, str], dt.datetime] = {}
        for a in self.data.answers:
            source, ref = self.t.source_name(a.source.value), a.source_ref or ""
            if a.from_organisation:
                source, ref = self.t.inherited_from(f"{source} {ref}".strip()), ""
            key = (a.answered_by, source, ref)
            seen[key] = max(seen.get(key, a.answered_at), a.answered_at)
        parts = [
            " ".join(x for x in (who, f"{source} {ref}".strip(), self.when(at)) if x)
            for (who, source, ref), at in sorted(seen.items(), key=lambda item: item[1])
        ]
        run = self.data.last_run
        if run is not None:
            parts.append(f"{self.t.source_name('scan')} {run.id} ({run.profile}, {self.when(run.started_at)})")
        return sep.join(parts) or "-"

    def _answer(self, control_id: str, question_id: str) -> Answer | None:
        return self._answer_index.get((control_id, question_id))

    @cached_property
    def _answer_index(self) -> dict[tuple[str, str], Answer]:
        return {(a.control_id, a.question_id): a for a in self.data.answers}

    def text(self, value: object) -> str:
        """A LocalizedText in the report's language; other values as strings."""
        getter = getattr(value, "get", None)
        if callable(getter) and hasattr(value, "ja"):
            return str(getter(self.lang))
        return "" if value is None else str(value)


def counts_in_order(counts: StatusCounts) -> list[tuple[str, int]]:
    """Status counts in the fixed status order, zeros left out."""
    by_name = {str(k): v for k, v in counts.counts.items()}
    return [(s, by_name[s]) for s in STATUS_ORDER if by_name.get(s)]


def reference_text(control: Control, t: Wording) -> list[str]:
    """The documents a control cites, by their names, with section and edition."""
    ja = t.lang is Language.JA
    return [
        f"{t.framework_name(r.framework.value)} {r.id}"
        + ((f"（{r.edition}）" if ja else f" ({r.edition})") if r.edition else "")
        for r in control.references
    ]


def _finding(data: ReportInput, result: ControlResult, risk: RiskEntry | None, t: Wording) -> FindingView:
    lang = t.lang
    control = data.controls.get(result.control_id)
    remediation = control.remediation.get(lang) if control else ""
    extra = []
    for entry in result.trail:
        check = data.checks.get(entry.ref) if entry.kind == "observation" else None
        if check is not None and check.remediation is not None and entry.verdict is not TrailVerdict.PASS:
            extra.append(check.remediation.get(lang))
    remediation = " ".join(dict.fromkeys([r for r in [remediation, *extra] if r]))
    refs = reference_text(control, t) if control else []
    return FindingView(
        result=result,
        control=control,
        risk=risk,
        title=result.title.get(lang),
        rationale=control.rationale.get(lang) if control else "",
        remediation=remediation,
        references=refs,
        evidence=list(result.trail),
        waived=result.status is ResultStatus.WAIVED,
    )


def _good_summary(data: ReportInput, good: list[FindingView], t: Wording) -> list[GoodPracticeRow]:
    """One row per guideline section with a control met: counts, and the high and critical ones by title."""
    rows = []
    for domain in sorted({f.result.domain for f in good}, key=lambda d: d.section):
        met = [f for f in good if f.result.domain is domain]
        applicable = sum(1 for r in data.results if r.domain is domain and r.status is not ResultStatus.NOT_APPLICABLE)
        notable = [f.title for f in met if f.result.severity.rank >= Severity.HIGH.rank]
        rows.append(GoodPracticeRow(t.domain_name(domain.value), len(met), applicable, notable))
    return rows


def _methods(data: ReportInput, t: Wording) -> list[Method]:
    """The audit techniques the applicable controls call for, with the evidence each produced."""
    applicable = [
        data.controls[r.control_id]
        for r in data.results
        if r.status is not ResultStatus.NOT_APPLICABLE and r.control_id in data.controls
    ]
    counts = count_techniques(applicable)
    evidence: dict[Procedure, int | None] = {
        Procedure.DOCUMENT_REVIEW: sum(1 for a in data.answers if a.evidence),
        Procedure.INTERVIEW: len(data.answers),
        Procedure.SCAN: len(data.observations),
        Procedure.ONSITE_INSPECTION: None,
        Procedure.RE_PERFORMANCE: None,
    }
    return [
        Method(
            name=name_of(PROCEDURE_TEXT, technique.value, t.lang),
            what=t[f"method_{technique.value}_what"],
            design=counts.by_phase[AuditPhase.DESIGN][technique],
            operation=counts.by_phase[AuditPhase.OPERATION][technique],
            evidence=evidence[technique],
        )
        for technique in Procedure
        if counts.either_phase[technique] or evidence[technique]
    ]


def _criteria(data: ReportInput, t: Wording) -> list[CriteriaRow]:
    """The checklists the service was audited against, in the order the service lists them."""
    rows = []
    for checklist_id in data.service.checklists:
        info = data.checklists.get(checklist_id)
        results = [r for r in data.results if r.checklist == checklist_id]
        cited: dict[str, set[str]] = {}
        for result in results:
            control = data.controls.get(result.control_id)
            for ref in control.references if control else []:
                editions = cited.setdefault(ref.framework.value, set())
                if ref.framework.value == "mic-guideline" and ref.edition:
                    editions.add(ref.edition)
        sep = "、" if t.lang is Language.JA else ", "
        basis = sep.join(
            t.framework_name(name)
            + (
                ("（" + sep.join(sorted(eds)) + "）" if t.lang is Language.JA else " (" + ", ".join(sorted(eds)) + ")")
                if eds
                else ""
            )
            for name, eds in cited.items()
        )
        rows.append(
            CriteriaRow(
                checklist_id=checklist_id,
                title=info.title.get(t.lang) if info else checklist_id,
                version=info.version if info else "-",
                basis=basis or "-",
                applicable=sum(1 for r in results if r.status is not ResultStatus.NOT_APPLICABLE),
                total=len(results),
            )
        )
    return rows


def _reason_groups(data: ReportInput, t: Wording) -> list[ReasonGroup]:
    """The gate's reasons grouped by clause: a risk on one line (id, control, level, status), others as given."""
    ja = t.lang is Language.JA
    risks = {r.id: r for r in data.register}
    groups: dict[str, ReasonGroup] = {}
    for reason in data.decision.reasons:
        group = groups.setdefault(reason.clause, ReasonGroup(reason.clause, reason.decision.value, []))
        risk = risks.get(reason.refs[0]) if reason.refs else None
        if risk is not None and t.clause(reason.clause, 1) is not None and reason.clause != "treatment-plan":
            level = t.level_name(risk.residual_level)
            status = t.risk_status_name(risk.status.value)
            title = risk.title.get(t.lang)
            group.lines.append(
                f"{risk.id} {title}（{level}、{status}）" if ja else f"{risk.id} {title} ({level}, {status})"
            )
        else:
            group.lines.append(reason.message_ja if ja and reason.message_ja else reason.message)
    for group in groups.values():
        group.heading = t.clause(group.clause, len(group.lines))
    return list(groups.values())


def _period(data: ReportInput) -> dt.datetime | None:
    moments = [a.answered_at for a in data.answers] + [o.observed_at for o in data.observations]
    if data.last_run is not None:
        moments.append(data.last_run.started_at)
    return min(moments) if moments else None


def build_view(data: ReportInput, lang: Language) -> ReportView:
    """The view model of one report in ``lang``."""
    t = Wording(lang)
    risks_by_control = {r.control_id: r for r in data.register}
    findings: list[FindingView] = []
    recommendations: list[FindingView] = []
    good: list[FindingView] = []
    sections = {
        FindingKind.MUST_FIX: findings,
        FindingKind.RECOMMENDATION: recommendations,
        FindingKind.GOOD_PRACTICE: good,
    }
    for result in data.results:
        risk = risks_by_control.get(result.control_id)
        kind = classify(result, risk, data.decision)
        if kind in sections:
            sections[kind].append(_finding(data, result, risk, t))
    findings.sort(key=lambda f: (f.waived, (-f.rank[0], -f.rank[1]), f.result.control_id))
    recommendations.sort(key=lambda f: ((-f.rank[0], -f.rank[1]), f.result.control_id))
    good.sort(key=lambda f: (-f.result.severity.rank, f.result.control_id))
    register = sorted(data.register, key=lambda r: (-r.level_rank, r.control_id))
    open_risks = [r for r in register if r.status.is_open]
    controls = [
        ControlRow(
            result=r,
            title=r.title.get(lang),
            section=data.controls[r.control_id].section if r.control_id in data.controls else "",
            answers=data.answers_of(r.control_id),
            trail=list(r.trail),
        )
        for r in sorted(data.results, key=lambda r: (r.domain.section, r.control_id))
    ]
    matrix_size = 3 if str(data.config.risk_matrix) == "3x3" else 5
    not_assessed = sum(1 for r in data.results if r.status.unverified)
    view = ReportView(
        data=data,
        lang=lang,
        t=t,
        title=t.report_title,
        organisation=data.config.organisation.get(lang),
        service_name=data.service.name.get(lang),
        auditor=data.config.auditor or data.service.security_officer.name,
        period_start=_period(data),
        period_end=data.generated_at,
        methods=_methods(data, t),
        criteria=_criteria(data, t),
        baselines=sorted({o.baseline for o in data.observations if o.baseline}),
        reason_groups=_reason_groups(data, t),
        not_applicable=sum(1 for r in data.results if r.status is ResultStatus.NOT_APPLICABLE),
        status_counts=counts_in_order(data.scores.overall),
        not_assessed=not_assessed,
        findings=findings,
        recommendations=recommendations,
        good_practice=good,
        good_summary=_good_summary(data, good, t),
        limits=[
            LimitView(r, r.title.get(lang), t.status_name(r.status), t["next_" + r.status.value])
            for r in sorted(data.results, key=lambda r: (r.domain.section, r.control_id))
            if r.status.unverified
        ],
        register=register,
        open_risks=open_risks,
        controls=controls,
        observations=sorted(data.observations, key=lambda o: (o.status != "fail", o.check_id, o.target)),
        opinion=[],
        matrix_size=matrix_size,
        tz=data.config.zone,
    )
    view.opinion = opinion_paragraphs(view)
    view.levels = (
        {cell: charts.level_key(name) for cell, name in data.matrix_levels.items()}
        if data.matrix_levels
        else charts.matrix_levels(matrix_size, data.register)
    )
    view.charts = {
        "matrix": charts.risk_matrix(matrix_size, view.levels, open_risks, t),
        "domains": charts.domain_bars(data.scores.by_domain, t),
        "trend": charts.score_trend(data.history, data.scores.overall.pass_rate, data.generated_at, view.when, t),
    }
    return view
