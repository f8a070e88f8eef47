"""How far each service's questionnaire has got: answered, applicable, required still missing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secaudit.catalog import Catalog
from secaudit.model import Service
from secaudit.questionnaire.items import question_items
from secaudit.questionnaire.validation import condition_met
from secaudit.store import Store
from secaudit.store.answers import answer_sets_of, latest_answers, questionnaires_of
from secaudit.store.drafts import drafts_of


@dataclass
class QuestionnaireStatus:
    """The questionnaire state of one service."""

    service_id: str
    applicable_controls: int
    applicable: int
    required: int
    answered: int
    missing_required: list[str] = field(default_factory=list)
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
            "required_missing": len(self.missing_required),
            "missing": self.missing_required,
            "last_import": self.last_import,
            "last_export": self.last_export,
            "unfinished_terminal_answers": self.drafts,
        }


def questionnaire_status(store: Store, catalog: Catalog, service: Service) -> QuestionnaireStatus:
    """Count the answers in force against the questions that apply to ``service`` now."""
    items = question_items(catalog, service)
    in_force = latest_answers(store, service.id)
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
    sets = answer_sets_of(store, service.id)
    exports = questionnaires_of(store, service.id)
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
        service_id=service.id,
        applicable_controls=len({item.control.id for item in items}),
        applicable=len(items),
        required=len(required),
        answered=sum(1 for item in items if item.key in in_force),
        missing_required=missing,
        last_import=last_import,
        last_export=last_export,
        drafts=sum(1 for d in drafts_of(store, service.id).values() if not d.skipped),
    )
