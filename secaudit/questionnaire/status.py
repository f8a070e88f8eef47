"""How far each service's questionnaire has got: answered, applicable, required still missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secaudit.catalog import Catalog
from secaudit.model import ORGANISATION_ID, Answer, ControlScope, Service
from secaudit.questionnaire.items import AnswerKey, QuestionItem, organisation_items, question_items
from secaudit.questionnaire.validation import condition_met
from secaudit.store import Store
from secaudit.store.answers import answer_sets_of, answers_in_force, latest_answers, questionnaires_of
from secaudit.store.drafts import drafts_of


@dataclass
class QuestionnaireStatus:
    """The questionnaire state of one service."""

    service_id: str
    applicable_controls: int
    applicable: int
    required: int
    answered: int
    inherited: int = 0
    """Answered by the organisation's city-wide answers rather than the service's own."""
    missing_required: list[str] = field(default_factory=list)
    missing_from_organisation: list[str] = field(default_factory=list)
    """The missing required answers that the organisation questionnaire is to give."""
    last_import: dict[str, Any] | None = None
    last_export: dict[str, Any] | None = None
    drafts: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "service": self.service_id,
            "applicable_controls": self.applicable_controls,
            "applicable_questions": self.applicable,
            "required_questions": self.required,
            "answered": self.answered,
            "inherited": self.inherited,
            "required_missing": len(self.missing_required),
            "missing": self.missing_required,
            "missing_from_organisation": self.missing_from_organisation,
            "last_import": self.last_import,
            "last_export": self.last_export,
            "unfinished_terminal_answers": self.drafts,
        }


def questionnaire_status(store: Store, catalog: Catalog, service: Service) -> QuestionnaireStatus:
    """Count the answers in force, the inherited city-wide ones included, against the questions that apply to
    ``service`` now; a city-wide answer the organisation has not given yet is missing for the service too."""
    items = question_items(catalog, service, include_organisation=True)
    in_force = answers_in_force(store, service.id, catalog.organisation_control_ids())
    return _status(store, service.id, items, in_force)


def organisation_status(store: Store, catalog: Catalog) -> QuestionnaireStatus:
    """Count the organisation's answers against the city-wide questions."""
    return _status(store, ORGANISATION_ID, organisation_items(catalog), latest_answers(store, ORGANISATION_ID))


def _status(
    store: Store, respondent_id: str, items: list[QuestionItem], in_force: dict[AnswerKey, Answer]
) -> QuestionnaireStatus:
    values = {key: answer.value for key, answer in in_force.items()}
    required: list[str] = []
    missing: list[str] = []
    for item in items:
        if not item.question.required:
            continue
        if item.parent is not None and not condition_met(item, values.get(item.parent.key)):
            continue
        required.append(item.ref)
        if item.key not in in_force:
            missing.append(item.ref)
    sets = answer_sets_of(store, respondent_id)
    exports = questionnaires_of(store, respondent_id)
    last_import = None
    if sets:
        latest = sets[0]
        last_import = {
            "at": latest["received_at"],
            "source": latest["source"],
            "file": latest["source_ref"],
            "submitted_by": latest["submitted_by"],
            "answers": latest["answer_count"],
            "partial": bool(latest["partial"]),
            "sha256": latest["sha256"],
        }
    last_export = None
    if exports:
        last_export = {k: exports[0][k] for k in ("id", "exported_at", "due", "language", "file_name")}
    return QuestionnaireStatus(
        service_id=respondent_id,
        applicable_controls=len({item.control.id for item in items}),
        applicable=len(items),
        required=len(required),
        answered=sum(1 for item in items if item.key in in_force),
        inherited=sum(1 for item in items if item.key in in_force and in_force[item.key].service_id != respondent_id),
        missing_required=missing,
        missing_from_organisation=[
            item.ref for item in items if item.ref in missing and item.control.scope is ControlScope.ORGANISATION
        ]
        if respondent_id != ORGANISATION_ID
        else [],
        last_import=last_import,
        last_export=last_export,
        drafts=sum(1 for d in drafts_of(store, respondent_id).values() if not d.skipped),
    )
