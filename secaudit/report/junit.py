"""JUnit XML for CI systems: one test case per control."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405  (we only build XML here, never parse it)

from secaudit.model import ResultStatus
from secaudit.report.view import ReportView

FAILURES = {ResultStatus.FAIL, ResultStatus.PARTIAL}
SKIPPED = {ResultStatus.NOT_APPLICABLE, ResultStatus.AWAITING_ANSWER, ResultStatus.NOT_SCANNED}


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters, whatever escaping is used.
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def junit_document(view: ReportView) -> bytes:
    """The controls of the report as a JUnit test suite (fail/partial fail, error errors, unassessed skip)."""
    data = view.data
    results = sorted(data.results, key=lambda r: (r.domain.section, r.control_id))
    failures = sum(1 for r in results if r.status in FAILURES)
    errors = sum(1 for r in results if r.status is ResultStatus.ERROR)
    skipped = sum(1 for r in results if r.status in SKIPPED)
    suites = ET.Element(
        "testsuites",
        name="secaudit",
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"secaudit.{data.service.id}",
        tests=str(len(results)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        timestamp=data.generated_at.isoformat(timespec="seconds"),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="decision", value=data.decision.decision.value)
    ET.SubElement(props, "property", name="catalog_version", value=data.catalog_version or "-")
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{data.service.id}.{result.domain.value}",
            name=_clean(f"{result.control_id} {result.title.get(view.lang)}"),
        )
        detail = _clean(
            "\n".join([result.reason, *(f"[{e.kind}] {e.ref}: {e.verdict} {e.summary}" for e in result.trail)]).strip()
        )
        message = _clean(f"{result.status.value} ({result.severity.value}): {result.reason}".strip())
        if result.status in FAILURES:
            node = ET.SubElement(case, "failure", message=message, type=result.status.value)
            node.text = detail
        elif result.status is ResultStatus.ERROR:
            node = ET.SubElement(case, "error", message=message, type="error")
            node.text = detail
        elif result.status in SKIPPED:
            ET.SubElement(case, "skipped", message=message)
        elif result.status is ResultStatus.WAIVED:
            ET.SubElement(case, "system-out").text = _clean(f"waived: {result.reason}")
    ET.indent(suites)
    body: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return body + b"\n"
