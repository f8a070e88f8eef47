"""The audit procedures of every shipped control: design (整備状況) and operation (運用状況), each its own text."""

from __future__ import annotations

from collections import defaultdict

import pytest

from secaudit.catalog import load_catalog
from secaudit.model import Control
from secaudit.model.control import AuditPhase, Procedure
from secaudit.workspace import builtin_layer

AUDIT_TEXT_MAX_JA = 150
"""A procedure reads like one entry of the audit guideline's 監査実施の例, not a page."""

CHECKLISTS = {"mic-baseline": 155, "web-service": 14, "cloud-saas": 5, "online-payment": 14}


@pytest.fixture(scope="module")
def controls() -> list[Control]:
    catalog = load_catalog([builtin_layer()])
    for name, size in CHECKLISTS.items():
        assert len(catalog.controls_of([name])) == size, name
    return catalog.controls_of(CHECKLISTS)


def test_every_control_has_both_phases_in_both_languages_with_techniques(controls: list[Control]) -> None:
    for control in controls:
        for phase in AuditPhase:
            procedure = control.audit.phase(phase)
            assert procedure.ja.strip() and procedure.en.strip(), (control.id, phase)
            assert procedure.techniques, (control.id, phase)
            assert len(procedure.ja) <= AUDIT_TEXT_MAX_JA, (control.id, phase, len(procedure.ja))
        assert set(control.procedure) == control.audit.techniques(), control.id


def test_no_two_procedures_share_a_text(controls: list[Control]) -> None:
    used: dict[str, list[str]] = defaultdict(list)
    for control in controls:
        for phase in AuditPhase:
            procedure = control.audit.phase(phase)
            for text in (procedure.ja, procedure.en):
                used[text].append(f"{control.id}/{phase.value}")
    shared = {text: where for text, where in used.items() if len(where) > 1}
    assert not shared, shared


def test_design_reviews_documents_and_checks_are_scanned_in_operation(controls: list[Control]) -> None:
    for control in controls:
        assert Procedure.DOCUMENT_REVIEW in control.audit.design.techniques, control.id
        # a check counted only when a scanner's results are imported (web findings) is read with the diagnosis
        # report it belongs to: the auditor reviews it as a document, secaudit does not scan for it
        if any(not ref.when_observed for ref in control.checks):
            assert Procedure.SCAN in control.audit.operation.techniques, control.id
        elif control.checks:
            assert Procedure.DOCUMENT_REVIEW in control.audit.operation.techniques, control.id
        # 整備状況 is established from what is written down; a scan looks at what runs
        assert Procedure.SCAN not in control.audit.design.techniques, control.id


def test_physical_controls_are_seen_on_site_where_there_is_a_site(controls: list[Control]) -> None:
    physical = [c for c in controls if c.control_type.value == "physical"]
    onsite = [c for c in physical if Procedure.ONSITE_INSPECTION in c.audit.operation.techniques]
    assert len(onsite) >= len(physical) // 2, [c.id for c in physical if c not in onsite]
