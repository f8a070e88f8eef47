"""What an owner sees and does on the portal: the service's questions by guideline section, drafts, submission.

Answers go through the same ``AnswerSession`` as the terminal questionnaire, so
each is checked by the workbook import's rules as it is saved, drafts survive a
closed browser, and submitting stores one answer set (channel ``portal``) the
way an imported workbook does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from secaudit import clock
from secaudit.errors import Problem
from secaudit.model import AnswerSource, Language, QuestionType
from secaudit.model.labels import DOMAIN_TEXT, name_of

if TYPE_CHECKING:
    from secaudit.pipeline.session import Session
    from secaudit.questionnaire.items import QuestionItem
    from secaudit.questionnaire.session import AnswerSession, SessionResult
    from secaudit.store.evidence import EvidenceRecord
    from secaudit.store.portal import Invitation


@dataclass(frozen=True)
class QuestionView:
    """One question as the page shows it, with the answer it holds now (a draft first, then the one in force)."""

    item: QuestionItem
    lang: Language
    text: str
    condition: str
    choices: list[tuple[str, str]]
    value: object
    evidence: str
    comment: str
    saved: bool
    """A draft is waiting to be submitted for this question."""
    in_force: bool
    """An answer to it is already on record (from an earlier submission or workbook)."""
    returned: str = ""
    """An officer's comment when the question was sent back and not answered again yet."""
    files: tuple[EvidenceRecord, ...] = ()
    """Evidence files uploaded for this question, oldest first."""

    @cached_property
    def guidance(self) -> str:
        """How to answer, as the workbook says it (made only for the questions a page shows)."""
        from secaudit.questionnaire.guidance import guidance_text

        return guidance_text(self.item, self.lang)

    @property
    def field(self) -> str:
        """The form name of this question: ``CONTROL/question``."""
        return self.item.ref

    @property
    def input(self) -> str:
        """Which kind of form control: radio, checkbox, number, date or text."""
        kind = self.item.question.type
        if kind in (QuestionType.YES_NO, QuestionType.CHOICE):
            return "radio"
        if kind is QuestionType.MULTI_CHOICE:
            return "checkbox"
        return kind.value

    def chosen(self, code: str) -> bool:
        """Whether choice ``code`` is the answer held now."""
        value = self.value
        return code in value if isinstance(value, list) else value == code


@dataclass(frozen=True)
class SectionView:
    """One guideline section's questions (those whose condition holds now)."""

    number: int
    title: str
    questions: list[QuestionView]


@dataclass(frozen=True)
class Progress:
    """How far the owner has got."""

    questions: int
    answered: int
    required_missing: int
    drafts: int


class OwnerQuestionnaire:
    """One invited owner's questionnaire for one service."""

    def __init__(self, session: Session, invitation: Invitation) -> None:
        from secaudit.questionnaire.session import AnswerSession

        self.invitation = invitation
        self.lang = Language(invitation.language)
        self.service = session.service(invitation.service_id)
        zone = session.workspace().config.zone
        self.answers: AnswerSession = AnswerSession(
            session.store(),
            session.catalog(),
            self.service,
            invitation.email,
            self.lang.value,
            clock.today(zone),
            source=AnswerSource.PORTAL,
            source_ref=f"portal invitation {invitation.id}",
        )
        from secaudit.evidence_files import EvidenceFolder
        from secaudit.store.evidence import evidence_files_of
        from secaudit.store.portal import open_returns

        self.store = session.store()
        self.returned = open_returns(self.store, self.service.id)
        self.files = evidence_files_of(self.store, [self.service.id]).get(self.service.id, {})
        self.folder = EvidenceFolder(session.workspace().data_dir / "evidence")
        self.today = clock.today(zone)

    def item(self, ref: str) -> QuestionItem | None:
        """The question ``CONTROL/question`` if this service's owner answers it; None for anything else."""
        return next((item for item in self.answers.items if item.ref == ref), None)

    def sections(self) -> list[SectionView]:
        """The questions to show now, grouped by the guideline's sections in order."""
        from secaudit.questionnaire.validation import condition_met

        grouped: dict[int, list[QuestionView]] = {}
        titles: dict[int, str] = {}
        for item in self.answers.items:
            if item.parent is not None and not condition_met(item, self.answers.value_of(item.parent.key)):
                continue
            domain = item.control.domain
            titles[domain.section] = name_of(DOMAIN_TEXT, domain.value, self.lang)
            grouped.setdefault(domain.section, []).append(self._view(item))
        return [SectionView(n, titles[n], grouped[n]) for n in sorted(grouped)]

    def _view(self, item: QuestionItem) -> QuestionView:
        draft = self.answers.drafts.get(item.key)
        held = self.answers.in_force.get(item.key)
        source = draft if draft is not None and not draft.skipped else held
        return QuestionView(
            item=item,
            lang=self.lang,
            text=item.question.text.get(self.lang),
            condition=item.condition_text(self.lang),
            choices=[(c.value, c.label.get(self.lang)) for c in item.question.allowed_choices()],
            value=source.value if source is not None else None,
            evidence=(source.evidence or "") if source is not None else "",
            comment=(source.comment or "") if source is not None else "",
            saved=draft is not None and not draft.skipped,
            in_force=held is not None,
            returned=self.returned[item.key].comment if item.key in self.returned else "",
            files=tuple(f for f in self.files.values() if (f.control_id, f.question_id) == item.key),
        )

    def save(
        self,
        ref: str,
        values: list[str],
        evidence: str,
        comment: str,
        upload: tuple[bytes, str] | None = None,
        valid_until: str = "",
    ) -> list[Problem]:
        """Check one answer with the import's rules and keep it as a draft; the problems when it fails.

        ``upload`` (content, name as sent) is an evidence file for the question: accepted by its content,
        kept by hash, recorded with its valid-until date, and referred to from the answer's evidence text.
        Nothing is kept when the file or the answer is refused.
        """
        from secaudit.evidence_files import EvidenceFileError, inspect_upload, new_evidence_id
        from secaudit.questionnaire.values import MULTI_SEPARATOR
        from secaudit.store.evidence import EvidenceRecord, add_evidence_file

        item = self.item(ref)
        if item is None:
            message = "この質問はこのサービスの質問票にありません" if self.lang is Language.JA else "no such question"
            return [Problem(ref[:80], message)]
        raw = MULTI_SEPARATOR.join(v.strip() for v in values if v.strip())
        text = evidence.strip()
        if upload is None:
            return self._logged(item, self.answers.answer(item, raw, text or None, comment.strip() or None))
        try:
            blob = inspect_upload(upload[0], upload[1], self.lang.value)
        except EvidenceFileError as exc:
            return [Problem("file", exc.message)]
        last_day = self._valid_until(valid_until)
        if isinstance(last_day, Problem):
            return [last_day]
        file_id = new_evidence_id()
        text = f"{text} [{file_id}]".strip()
        checked = self.answers.check(item, raw, text, comment.strip() or None, (file_id,))
        if isinstance(checked, list):
            return checked
        self.folder.put(upload[0], blob)
        record = EvidenceRecord(
            id=file_id,
            service_id=self.service.id,
            control_id=item.control.id,
            question_id=item.question.id,
            sha256=blob.sha256,
            name=blob.name,
            media_type=blob.media_type,
            size=blob.size,
            owner=self.invitation.email,
            uploaded_by=self.invitation.email,
            uploaded_at=clock.now(),
            valid_until=last_day,
        )
        add_evidence_file(self.store, record)
        self.files[file_id] = record
        self.answers.known_files.add(file_id)
        return self._logged(item, self.answers.answer(item, raw, text, comment.strip() or None))

    def _logged(self, item: QuestionItem, problems: list[Problem]) -> list[Problem]:
        """Log a draft the owner saved (every change made on the portal is in the audit log)."""
        from secaudit.store.audit_log import record

        if not problems:
            record(self.store, self.invitation.email, "portal.draft", self.service.id, {"question": item.ref})
        return problems

    def _valid_until(self, given: str) -> dt.date | None | Problem:
        if not given.strip():
            return None
        try:
            day = dt.date.fromisoformat(given.strip())
        except ValueError:
            ja, en = "有効期限は YYYY-MM-DD の日付で記入してください", "valid until: write a date, YYYY-MM-DD"
            return Problem("valid_until", en if self.lang is Language.EN else ja)
        if day < self.today:
            ja, en = f"有効期限 {day} は過ぎています", f"valid until: {day} has passed"
            return Problem("valid_until", en if self.lang is Language.EN else ja)
        return day

    def progress(self, sections: list[SectionView] | None = None) -> Progress:
        """Questions shown, answered (draft or on record), required still missing, drafts waiting."""
        shown = [q for s in (sections if sections is not None else self.sections()) for q in s.questions]
        answered = [q for q in shown if q.saved or q.in_force]
        missing = [q for q in shown if q.item.question.required and not (q.saved or q.in_force)]
        return Progress(len(shown), len(answered), len(missing), sum(1 for q in shown if q.saved))

    def submit(self) -> SessionResult:
        """Store the drafts as one answer set from the portal (answering sent-back questions closes them);
        required answers still missing are reported."""
        from secaudit.store.portal import resolve_returns

        given = [key for key, draft in self.answers.drafts.items() if not draft.skipped]
        result = self.answers.finish(self.invitation.email)
        if result.stored:
            resolve_returns(
                self.store, self.service.id, [k for k in given if k in self.returned], self.invitation.email
            )
            self.returned = {k: v for k, v in self.returned.items() if k not in given}
        return result


@dataclass(frozen=True)
class ServiceProgress:
    """One service's questionnaire as the officers' overview shows it."""

    service_id: str
    name: str
    department: str
    questions: int
    answered: int
    required_missing: int
    last_submission: dict[str, object] | None
    """When, by whom, and through which channel (``channel``: its name in the page's language)."""
    due: str | None
    state: str
    """complete, overdue, open (some answers) or not_started."""


def channel_name(source: str, lang: Language) -> str:
    """How an answer came in, in words: 質問票, 回答ポータル, ..."""
    from secaudit.report.wording import SOURCE_TEXT

    return name_of(SOURCE_TEXT, source, lang)


def _with_channel(last: dict[str, object] | None, lang: Language) -> dict[str, object] | None:
    return None if last is None else {**last, "channel": channel_name(str(last["source"]), lang)}


def overview(session: Session, lang: Language) -> list[ServiceProgress]:
    """Every service's questionnaire: answered, required still missing, last submission, due date and state."""
    from secaudit.questionnaire.status import questionnaire_status

    today = clock.today(session.workspace().config.zone).isoformat()
    rows: list[ServiceProgress] = []
    for service in session.services():
        status = questionnaire_status(session.store(), session.catalog(), service)
        due = (status.last_export or {}).get("due")
        missing = len(status.missing_required)
        if missing == 0:
            state = "complete"
        elif due and str(due) < today:
            state = "overdue"
        elif status.answered or status.drafts:
            state = "open"
        else:
            state = "not_started"
        rows.append(
            ServiceProgress(
                service_id=service.id,
                name=service.name.get(lang),
                department=service.department,
                questions=status.applicable,
                answered=status.answered,
                required_missing=missing,
                last_submission=_with_channel(status.last_import, lang),
                due=str(due) if due else None,
                state=state,
            )
        )
    return rows


@dataclass(frozen=True)
class AnswerOnRecord:
    """One answer in force, with its question, for an officer to read."""

    item: QuestionItem
    value: str
    evidence: str
    comment: str
    answered_by: str
    answered_at: str
    channel: str
    files: tuple[EvidenceRecord, ...] = ()
    """The uploaded evidence files the answer refers to."""


def answers_on_record(session: Session, service_id: str, lang: Language) -> list[AnswerOnRecord]:
    """The answers a service is assessed on now (its own and the city-wide ones), in questionnaire order."""
    from secaudit.evidence_files import references
    from secaudit.questionnaire.items import question_items
    from secaudit.questionnaire.values import display_value
    from secaudit.store.answers import answers_in_force

    service = session.service(service_id)
    uploaded = files_of(session, service.id)
    catalog = session.catalog()
    held = answers_in_force(session.store(), service.id, catalog.organisation_control_ids())
    zone = session.workspace().config.zone
    found: list[AnswerOnRecord] = []
    for item in question_items(catalog, service, include_organisation=True):
        answer = held.get(item.key)
        if answer is None:
            continue
        found.append(
            AnswerOnRecord(
                item=item,
                value=display_value(item.question, answer.value, lang),
                evidence=answer.evidence or "",
                comment=answer.comment or "",
                answered_by=answer.answered_by,
                answered_at=answer.answered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                channel=channel_name(str(answer.source.value), lang),
                files=tuple(uploaded[ref] for ref in references(answer.evidence) if ref in uploaded),
            )
        )
    return found


@dataclass(frozen=True)
class ControlView:
    """One control's result as the officer's service page shows it."""

    control_id: str
    title: str
    status: str
    status_name: str
    reason: str
    reviewed: bool


def service_results(session: Session, service_id: str, lang: Language) -> list[ControlView]:
    """Every control of a service with its result now (after reviews), for an officer to confirm or override."""
    from secaudit.model.labels import STATUS_TEXT
    from secaudit.pipeline.evaluation import evaluate_service

    ev = evaluate_service(session, service_id)
    return [
        ControlView(
            control_id=r.control_id,
            title=r.title.get(lang),
            status=r.status.value,
            status_name=name_of(STATUS_TEXT, r.status.value, lang),
            reason=(r.reason_ja or r.reason) if lang is Language.JA else r.reason,
            reviewed=r.self_assessed_status is not None,
        )
        for r in ev.results
    ]


def review(session: Session, service_id: str, control_id: str, result: str, note: str, reviewer: str) -> None:
    """Confirm or override a control's result from the portal: the same review as ``secaudit assess review``."""
    from secaudit.errors import InputError
    from secaudit.model.vocab import REVIEW_RESULTS
    from secaudit.pipeline.records import review_control

    chosen = next((status for status in REVIEW_RESULTS if status.value == result), None)
    if chosen is None:
        raise InputError(f"result: {result[:40]!r} is not one of {', '.join(REVIEW_RESULTS)}")
    if not note.strip():
        raise InputError("note: say why (a review without a reason cannot be followed by an auditor)")
    review_control(session, service_id, control_id, chosen, note.strip(), reviewer)


def send_back(session: Session, service_id: str, ref: str, comment: str, actor: str) -> None:
    """Send one of the service's own questions back to its owner with a comment (shown on the owner's page)."""
    from secaudit.errors import InputError
    from secaudit.questionnaire.items import question_items
    from secaudit.store.portal import add_return

    service = session.service(service_id)
    item = next((i for i in question_items(session.catalog(), service) if i.ref == ref), None)
    if item is None:
        raise InputError(f"question: {ref[:80]!r} is not one of {service.id}'s own questions")
    text = comment.strip()
    if not text or len(text) > 2000:
        raise InputError("comment: say what the owner should correct (1 to 2,000 characters)")
    add_return(session.store(), service.id, item.key, text, actor)


def evidence_download(session: Session, file_id: str, service_id: str | None) -> tuple[EvidenceRecord, bytes]:
    """An evidence file's record and bytes (hash checked) for someone allowed to see it: ``service_id`` limits
    an owner to their own service; None is an officer or auditor. Refused alike whether it exists or not."""
    from secaudit.evidence_files import EVIDENCE_REF, EvidenceFolder, EvidenceNotFound
    from secaudit.store.evidence import evidence_file

    found = evidence_file(session.store(), file_id) if EVIDENCE_REF.fullmatch(f"[{file_id}]") else None
    if found is None or (service_id is not None and found.service_id != service_id):
        raise EvidenceNotFound(f"no evidence file {file_id[:20]!r}")
    return found, EvidenceFolder(session.workspace().data_dir / "evidence").open(found.sha256)


def files_of(session: Session, service_id: str) -> dict[str, EvidenceRecord]:
    """A service's evidence files by id (for the officers' page)."""
    from secaudit.store.evidence import evidence_files_of

    return evidence_files_of(session.store(), [service_id]).get(service_id, {})
