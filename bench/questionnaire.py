"""Questionnaire benchmarks: export speed, import of a 200-question workbook, refusing 100,000 rows.

Reproduce with:  PYTHONPATH=. python bench/questionnaire.py [--workbooks N]
Not part of the test suite; prints each figure beside its goal.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
from figures import figure

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secaudit.catalog import load_catalog  # noqa: E402
from secaudit.inventory import find_service  # noqa: E402
from secaudit.model import Language  # noqa: E402
from secaudit.questionnaire import layout as L  # noqa: E402
from secaudit.questionnaire.export import export_questionnaire  # noqa: E402
from secaudit.questionnaire.importer import ImportRequest, import_workbook  # noqa: E402
from secaudit.questionnaire.items import question_items  # noqa: E402
from secaudit.store import open_store  # noqa: E402
from secaudit.workbook_guard import WorkbookRefused, read_untrusted  # noqa: E402
from secaudit.workspace import init_workspace  # noqa: E402

COMMAND = "PYTHONPATH=. python bench/questionnaire.py"
TYPES = ("yes_no", "choice", "multi_choice", "number", "date")


def synthetic_checklist(questions: int) -> str:
    """A checklist with ``questions`` questions over every answer type (4 per control)."""
    lines = [
        "checklist:",
        "  id: bench",
        '  version: "1"',
        "  title: {ja: ベンチ, en: Bench}",
        "controls:",
    ]
    for c in range(questions // 4):
        lines += [
            f"  - id: BENCH-6.1-{c + 1:03d}",
            "    domain: TEC",
            '    section: "6.1"',
            "    control_type: technical",
            f"    title: {{ja: 管理策{c}, en: Control {c}}}",
            "    rationale: {ja: 理由, en: Why}",
            "    severity: medium",
            "    remediation: {ja: 改善, en: Improve}",
            "    procedure: [document_review]",
            "    audit:",
            "      design: {ja: 規程を閲覧する, en: Read the rules, techniques: [document_review]}",
            "      operation: {ja: 記録を閲覧する, en: Read the records, techniques: [document_review]}",
            "    evidence_examples: [{ja: 記録, en: Records}]",
            "    questions:",
        ]
        for q in range(4):
            kind = TYPES[(c + q) % len(TYPES)]
            lines += [
                f"      - id: q{q + 1}",
                f"        type: {kind}",
                f"        text: {{ja: 質問{c}-{q}, en: Q{c}-{q}}}",
            ]
            if kind in ("choice", "multi_choice"):
                lines += [
                    "        choices:",
                    "          - {value: a, label: {ja: 甲, en: A}}",
                    "          - {value: b, label: {ja: 乙, en: B}}",
                    "        compliant: [a]",
                ]
            if kind == "number":
                lines.append("        compliant_range: {lte: 10}")
            if kind == "date":
                lines.append("        max_age_days: 365")
    return "\n".join(lines) + "\n"


SERVICE = """\
id: bench-svc
name: {ja: ベンチサービス, en: Bench service}
department: 情報政策課
owner: {name: 山田 花子, email: yamada@city.example.jp}
security_officer: {name: 佐藤 一郎, email: sato@city.example.jp}
classification: {confidentiality: 2, integrity: 2, availability: 1}
attributes:
  internet_facing: true
  personal_data: true
  mynumber: false
  payment: false
  cloud: saas
  outsourced: true
  network_tier: internet
checklists: [bench]
"""


def fill_all(path: Path, items: list, today: dt.date) -> None:
    """Answer every question of the exported workbook, as an owner would."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[1]
    for offset, item in enumerate(items):
        row = L.FIRST_ROW + offset
        kind = item.question.type.value
        value: object = {"yes_no": "はい", "choice": "甲", "multi_choice": "甲; 乙", "number": 5}.get(kind)
        if kind == "date":
            value = dt.datetime.combine(today, dt.time())
        ws.cell(row, L.COL_ANSWER, value)
        ws.cell(row, L.COL_COMMENT, "ベンチ")
    wb.worksheets[0]["B9"] = "山田 花子"
    wb.save(path)


def report(name: str, value: float, unit: str, goal: float | None) -> None:
    """One figure beside its goal (None: shown for information)."""
    figure(name, value, unit, goal, "<", COMMAND)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workbooks", type=int, default=20, help="how many workbooks to export (default 20)")
    args = parser.parse_args()
    today = dt.datetime.now(dt.UTC).date()
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-bench-"))
    try:
        ws = init_workspace(tmp / "ws")
        for path in (REPO / "examples" / "services").glob("*.yaml"):
            shutil.copy(path, ws.services_dir / path.name)
        (ws.root / "checklists").mkdir()
        (ws.root / "checklists" / "bench.yaml").write_text(synthetic_checklist(200), encoding="utf-8")
        (ws.services_dir / "bench-svc.yaml").write_text(SERVICE, encoding="utf-8")
        ws.ensure_data_dir()
        store = open_store(ws.database_url)
        catalog = load_catalog(ws.catalog_layers())
        service = find_service(ws.services_dir, "kosodate-portal", catalog.checklists, ws.config.classification_scheme)
        times = []
        for n in range(args.workbooks):
            start = time.perf_counter()
            export_questionnaire(store, catalog, service, tmp / f"k{n}.xlsx", Language.JA, None, "bench")
            times.append(time.perf_counter() - start)
        count = len(question_items(catalog, service))
        report(f"export, median of {args.workbooks} ({count} questions each)", statistics.median(times), "s", 0.15)

        bench = find_service(ws.services_dir, "bench-svc", catalog.checklists, ws.config.classification_scheme)
        items = question_items(catalog, bench)
        book = tmp / "bench.xlsx"
        export_questionnaire(store, catalog, bench, book, Language.JA, None, "bench")
        start = time.perf_counter()
        export_questionnaire(store, catalog, bench, tmp / "bench-again.xlsx", Language.JA, None, "bench")
        report("export one 200-question workbook", time.perf_counter() - start, "s", None)
        fill_all(book, items, today)
        request = ImportRequest(
            store, catalog, ws.services_dir, ws.config.classification_scheme, ws.data_dir, "bench", today
        )
        times = []
        for _ in range(5):
            start = time.perf_counter()
            outcome = import_workbook(request, book)
            times.append(time.perf_counter() - start)
        assert outcome.stored == len(items) == 200, (outcome.stored, len(items))
        report("import a 200-question workbook, median of 5", statistics.median(times), "s", 0.3)

        big = tmp / "rows.xlsx"
        rows = b"".join(
            b'<row r="%d"><c r="A%d"><v>%d</v></c><c r="F%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n, n, n)
            for n in range(1, 100_001)
        )
        sheet = (
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + rows
            + b"</sheetData></worksheet>"
        )
        with zipfile.ZipFile(book) as zin, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = sheet if info.filename == "xl/worksheets/sheet2.xml" else zin.read(info.filename)
                zout.writestr(info.filename, data)
        env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(ws.root)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "secaudit", "questionnaire", "import", str(big)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        elapsed = time.perf_counter() - start
        peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
        assert done.returncode == 2, done.stderr
        print(
            f"  ({big.stat().st_size // 1024} KiB file; refused with: {done.stderr.strip().splitlines()[-1].strip()})"
        )
        report("refuse a 100,000-row workbook (whole process)", elapsed, "s", 2.0)
        report("  peak memory of that process (max RSS)", peak_mb, "MB", 300)
        tracemalloc.start()
        start = time.perf_counter()
        with contextlib.suppress(WorkbookRefused):
            read_untrusted(big)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
        tracemalloc.stop()
        report("  the pre-parse guard alone, in process", elapsed, "s", 2.0)
        report("  the guard's peak Python allocations (tracemalloc)", peak, "MB", 300)
        print(f"reproduce: {COMMAND} --workbooks {args.workbooks}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
