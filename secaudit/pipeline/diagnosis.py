"""A vendor's vulnerability diagnosis (脆弱性診断) recorded as the evidence of the diagnosis controls.

Cities buy their build-time (構築時) and periodic (定期) diagnoses from vendors; the report arrives as a
PDF or a workbook. Recording one keeps the report as an evidence file of the service and answers the
diagnosis questions from it, with the vendor, the date and the scope in the answer's evidence text, so the
controls are judged by their own rules: a periodic diagnosis older than the question's ``max_age_days``
(the policy's period) does not satisfy the periodic control, whoever performed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from secaudit import clock
from secaudit.errors import InputError, Problem

if TYPE_CHECKING:
    from secaudit.pipeline.session import Session

MAX_FIELD = 200


class Layer(StrEnum):
    """What was diagnosed: the servers, devices and middleware, or the web application."""

    PLATFORM = "platform"
    WEBAPP = "webapp"


class Timing(StrEnum):
    """Before launch (構築時診断), or on the schedule after it (定期診断)."""

    BUILD = "build"
    PERIODIC = "periodic"


class Remediation(StrEnum):
    """How far the findings have been fixed, as the diagnosis questions ask it."""

    ALL_FIXED = "all-fixed"
    HIGH_FIXED = "high-fixed"
    OPEN_HIGH = "open-high"


class Method(StrEnum):
    """How a web application was tested."""

    MANUAL_AND_TOOL = "manual-and-tool"
    TOOL_ONLY = "tool-only"


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis as its report states it."""

    layer: Layer
    timing: Timing
    performed_on: dt.date
    vendor: str
    scope: str
    remediation: Remediation | None = None
    method: Method | None = None
    covered_login: bool | None = None


Answerer = Callable[[Diagnosis], object | None]

DIAGNOSIS_QUESTIONS: dict[tuple[Layer, Timing], tuple[tuple[str, str, Answerer], ...]] = {
    (Layer.PLATFORM, Timing.BUILD): (
        ("TEC-6.3-002", "q1", lambda d: "yes"),
        ("TEC-6.3-002", "q2", lambda d: d.remediation.value.replace("-", "_") if d.remediation else None),
    ),
    (Layer.PLATFORM, Timing.PERIODIC): (("TEC-6.3-002", "q3", lambda d: d.performed_on),),
    (Layer.WEBAPP, Timing.BUILD): (
        ("WEB-6.3-002", "q1", lambda d: d.method.value.replace("-", "_") if d.method else None),
        ("WEB-6.3-002", "q2", lambda d: None if d.covered_login is None else ("yes" if d.covered_login else "no")),
        ("WEB-6.3-002", "q3", lambda d: d.remediation.value.replace("-", "_") if d.remediation else None),
    ),
    (Layer.WEBAPP, Timing.PERIODIC): (("WEB-6.3-003", "q1", lambda d: d.performed_on),),
}
"""Which question of which control a diagnosis answers, and with what (None: the report does not say)."""


class DiagnosisError(InputError):
    """A diagnosis that cannot be recorded as given (exit 2); nothing is stored."""


@dataclass(frozen=True)
class RecordedDiagnosis:
    """The evidence file kept and the answers given."""

    file_id: str
    answer_set_id: str
    answered: list[tuple[str, str, object]]


def record_diagnosis(
    session: Session, service_id: str, report: Path, diagnosis: Diagnosis, actor: str
) -> RecordedDiagnosis:
    """Check everything, then keep the report and store the answers in one submission (or nothing, raising)."""
    from secaudit.evidence_files import EvidenceFileError, EvidenceFolder, inspect_upload, new_evidence_id
    from secaudit.model.evidence import AnswerSource
    from secaudit.questionnaire.items import question_items
    from secaudit.questionnaire.validation import RawAnswer, ValidAnswer, validate_one
    from secaudit.store.answers import AnswerSet, save_answer_set
    from secaudit.store.evidence import EvidenceRecord, add_evidence_file

    service = session.service(service_id)
    catalog = session.catalog()
    now = clock.now()
    today = now.astimezone(session.workspace().config.zone).date()
    _check_text(diagnosis)
    if diagnosis.performed_on > today:
        raise DiagnosisError(
            f"--date: {diagnosis.performed_on} is in the future", [Problem("--date", str(diagnosis.performed_on))]
        )
    if diagnosis.layer is Layer.WEBAPP and diagnosis.timing is Timing.BUILD and diagnosis.method is None:
        raise DiagnosisError(
            "--method: a web application's build-time diagnosis needs how it was tested (manual-and-tool or tool-only)",
            [Problem("--method", "required for --layer webapp --timing build")],
        )
    try:
        data = report.read_bytes()
    except OSError as exc:
        raise DiagnosisError(f"{report}: cannot read the report ({exc.strerror})") from None
    try:
        blob = inspect_upload(data, report.name, "en")
    except EvidenceFileError as exc:
        raise DiagnosisError(f"{report.name}: {exc.message}", [Problem(str(report), exc.message)]) from None
    items = {item.key: item for item in question_items(catalog, service)}
    file_id = new_evidence_id()
    kind = "build-time" if diagnosis.timing is Timing.BUILD else "periodic"
    evidence = (
        f"{diagnosis.vendor}: {diagnosis.layer.value} {kind} diagnosis on {diagnosis.performed_on.isoformat()}; "
        f"scope: {diagnosis.scope} [{file_id}]"
    )
    accepted: list[ValidAnswer] = []
    problems: list[Problem] = []
    for control_id, question_id, answerer in DIAGNOSIS_QUESTIONS[(diagnosis.layer, diagnosis.timing)]:
        value = answerer(diagnosis)
        if value is None:
            continue
        item = items.get((control_id, question_id))
        if item is None:
            problems.append(
                Problem(
                    f"service {service.id}",
                    f"{control_id}/{question_id} is not among the controls that apply to it; add the checklist "
                    f"that holds {control_id} to the service, or record the diagnosis for the service it covered",
                )
            )
            continue
        checked = validate_one(
            item,
            RawAnswer(item.key, value, evidence, None),
            "en",
            today,
            lambda key, field: f"{key[0]}/{key[1]}: {field}",
            known_files=(file_id,),
        )
        if isinstance(checked, list):
            problems += checked
        else:
            accepted.append(checked)
    if problems:
        raise DiagnosisError(f"the diagnosis cannot be recorded for {service.id}; nothing was stored", problems)
    EvidenceFolder(session.workspace().data_dir / "evidence").put(data, blob)
    first = accepted[0].item
    store = session.store()
    add_evidence_file(
        store,
        EvidenceRecord(
            id=file_id,
            service_id=service.id,
            control_id=first.control.id,
            question_id=first.question.id,
            sha256=blob.sha256,
            name=blob.name,
            media_type=blob.media_type,
            size=blob.size,
            owner=diagnosis.vendor,
            uploaded_by=actor,
            uploaded_at=now,
            valid_until=None,
        ),
    )
    answers = [a.answer(service.id, actor, now, AnswerSource.DIAGNOSIS, report.name) for a in accepted]
    answer_set = AnswerSet(
        service_id=service.id,
        source=AnswerSource.DIAGNOSIS,
        submitted_by=actor,
        source_ref=report.name[:500],
        sha256=blob.sha256,
        archive_path=None,
        partial=True,
        received_at=now,
    )
    set_id = save_answer_set(store, answer_set, answers)
    return RecordedDiagnosis(file_id, set_id, [(a.control_id, a.question_id, a.value) for a in answers])


def _check_text(diagnosis: Diagnosis) -> None:
    for option, text in (("--vendor", diagnosis.vendor), ("--scope", diagnosis.scope)):
        if not text.strip():
            raise DiagnosisError(f"{option}: must not be empty", [Problem(option, "empty")])
        if len(text) > MAX_FIELD or any(not ch.isprintable() for ch in text):
            raise DiagnosisError(
                f"{option}: at most {MAX_FIELD} printable characters on one line",
                [Problem(option, f"longer than {MAX_FIELD} characters or not one printable line")],
            )
