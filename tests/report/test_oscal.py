"""The OSCAL export validates against NIST's assessment-results schema and is stable across runs."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex
from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators

from secaudit.model import Language
from secaudit.report import ReportFormat, ReportInput, produce
from tests.report.conftest import build_input

SCHEMA = (
    Path(__file__).resolve().parents[1] / "fixtures" / "reference" / "oscal_assessment-results_schema-1.2.1.json"
)
URI = regex.compile(r"^[a-zA-Z][a-zA-Z0-9+\-.]*:\S+$")


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # OSCAL's patterns use \p{L}, which Python's re cannot compile: use the regex package.
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _format_checker() -> FormatChecker:
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.tzinfo is not None

    @checker.checks("uri")
    def uri(value: object) -> bool:
        return not isinstance(value, str) or bool(URI.match(value))

    @checker.checks("uri-reference")
    def uri_reference(value: object) -> bool:
        return not isinstance(value, str) or (value != "" and not any(ch.isspace() for ch in value))

    @checker.checks("email")
    def email(value: object) -> bool:
        return not isinstance(value, str) or "@" in value

    return checker


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text())
    cls = validators.extend(Draft7Validator, {"pattern": _pattern})
    return cls(schema, format_checker=_format_checker())  # type: ignore[no-any-return]


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@pytest.mark.parametrize("lang", list(Language))
def test_oscal_validates_against_the_nist_schema(
    validator: Draft7Validator, report_input: ReportInput, lang: Language
) -> None:
    doc = json.loads(produce(report_input, ReportFormat.OSCAL, lang))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]


def test_validator_catches_a_broken_document(validator: Draft7Validator, report_input: ReportInput) -> None:
    doc = json.loads(produce(report_input, ReportFormat.OSCAL, Language.EN))
    doc["assessment-results"]["results"][0]["start"] = "2026-11-20T09:30:00"  # no time zone
    doc["assessment-results"]["results"][0]["observations"][0]["methods"] = []
    assert len(list(validator.iter_errors(doc))) >= 2


def test_oscal_content_maps_answers_scans_findings_and_risks(report_input: ReportInput) -> None:
    doc = json.loads(produce(report_input, ReportFormat.OSCAL, Language.EN))
    result = doc["assessment-results"]["results"][0]
    methods = [tuple(o["methods"]) for o in result["observations"]]
    assert ("INTERVIEW", "EXAMINE") in methods and ("INTERVIEW",) in methods and ("TEST",) in methods
    assert len(result["observations"]) == len(report_input.answers) + len(report_input.observations)
    assessed = [r for r in report_input.results if r.status.value in ("pass", "fail", "partial", "waived")]
    assert len(result["findings"]) == len(assessed)
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]}
    assert states["HUM-5.3-001"] == "satisfied" and states["HUM-5.4-001"] == "not-satisfied"
    risk = next(r for r in result["risks"] if any(p["value"] == "TEC-6.1-002" for p in r["props"]))
    facets = {f["name"]: f["value"] for f in risk["characterizations"][0]["facets"]}
    assert facets["likelihood"] == "5" and facets["impact"] == "4"
    assert risk["status"] == "open"
    assert risk["related-observations"]


def test_oscal_has_no_nulls_no_empty_arrays_and_aware_times(report_input: ReportInput) -> None:
    doc = json.loads(produce(report_input, ReportFormat.OSCAL, Language.JA))
    for value in _walk(doc):
        assert value is not None
        assert value != []
    result = doc["assessment-results"]["results"][0]
    for stamp in [result["start"], result["end"], *(o["collected"] for o in result["observations"])]:
        assert dt.datetime.fromisoformat(stamp).tzinfo is not None


def test_oscal_ids_are_stable_across_runs() -> None:
    first = json.loads(produce(build_input(), ReportFormat.OSCAL, Language.EN))
    later = build_input(generated_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    second = json.loads(produce(later, ReportFormat.OSCAL, Language.EN))

    def uuids(doc: Any) -> list[str]:
        return [v["uuid"] for v in _walk(doc) if isinstance(v, dict) and "uuid" in v]

    assert uuids(first) == uuids(second)
    assert len(set(uuids(first))) == len(uuids(first))


def test_oscal_of_a_service_with_no_evidence_yet_is_still_valid(validator: Draft7Validator) -> None:
    data = build_input(last_run=None, observations=[], answers=[], register=[], history=[], drift=None)
    for result in data.results:
        result.trail = []
        if result.status.value != "not_applicable":
            result.status = result.status.__class__("awaiting_answer")
    doc = json.loads(produce(data, ReportFormat.OSCAL, Language.JA))
    errors = list(validator.iter_errors(doc))
    assert errors == [], [e.message[:200] for e in errors[:5]]
    result = doc["assessment-results"]["results"][0]
    assert "observations" not in result and "findings" not in result and "risks" not in result
