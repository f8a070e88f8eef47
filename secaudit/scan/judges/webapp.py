"""Judges over WebAppFacts: an outside web application scanner's findings, by IPA's vulnerability classes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from secaudit.model import WebAppFacts
from secaudit.model.facts import IPA_WEB_CLASSES, WEB_RISKS, WebFinding
from secaudit.scan.judges.base import FAIL, PASS, Assertion, Parameters, Said, Verdict, listing

MAX_SHOWN = 4


class WebClasses(Parameters):
    """IPA classes (``IPA_WEB_CLASSES``) and the lowest risk of a finding that fails the check."""

    classes: list[str] = Field(min_length=1)
    min_risk: Literal["informational", "low", "medium", "high"] = "low"

    @field_validator("classes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in IPA_WEB_CLASSES]
        if unknown:
            raise ValueError(f"unknown class(es) {unknown}; known: {list(IPA_WEB_CLASSES)}")
        return value


def _found(facts: WebAppFacts, params: WebClasses) -> list[WebFinding]:
    floor = WEB_RISKS.index(params.min_risk)
    return [f for f in facts.findings if f.ipa_class in params.classes and WEB_RISKS.index(f.risk) >= floor]


def observed(facts: WebAppFacts, params: WebClasses) -> bool:
    """Whether the facts speak to the check: a finding of its classes, or a tool that shows it tested them all.

    A scanner's report that lists only what it found says nothing of a class it found nothing in: no
    observation is made then (no pass, and no "not run" that would read as a scan of secaudit's own failing)."""
    tested = set(facts.tested_classes or ())
    return bool(_found(facts, params)) or set(params.classes) <= tested


def findings_absent(facts: WebAppFacts, params: WebClasses) -> Verdict:
    """Fail when the scanner reported a finding of the classes at or above ``min_risk``; pass only when its results
    show it tested every class and found none."""
    names_en = ", ".join(IPA_WEB_CLASSES[c][2] for c in params.classes)
    names_ja = "、".join(IPA_WEB_CLASSES[c][1] for c in params.classes)
    found = _found(facts, params)
    details = {"findings": [f.model_dump(mode="json") for f in found]}
    if found:
        ordered = sorted(found, key=lambda f: (-WEB_RISKS.index(f.risk), f.name))
        shown = [_shown(f) for f in ordered]
        return (
            FAIL,
            Said(
                f"{facts.tool} found {names_en}: {listing(shown, MAX_SHOWN)}",
                f"{facts.tool} が{names_ja}を検出: {listing(shown, MAX_SHOWN, ja=True)}",
            ),
            details,
        )
    return (
        PASS,
        Said(
            f"{facts.tool} tested {names_en} and found none at or above {params.min_risk}",
            f"{facts.tool} は{names_ja}を検査し、{params.min_risk}以上の検出はありません",
        ),
        details,
    )


def _shown(finding: WebFinding) -> str:
    where = f" at {finding.instances[0]}" if finding.instances else ""
    more = f" (+{finding.count - 1} more)" if finding.count > 1 else ""
    return f"{finding.name} [{finding.risk}]{where}{more}"


ASSERTIONS: dict[str, Assertion[WebAppFacts]] = {
    "findings_absent": Assertion(
        WebClasses, findings_absent, "no finding of `classes` at or above `min_risk`", applies=observed
    ),
}
