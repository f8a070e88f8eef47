"""Inline SVG charts: the risk matrix heat map, results per domain, the pass rate over time."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from secaudit.model import Language, RiskMatrixKind
from secaudit.report import ReportFormat, ScorePoint, produce
from secaudit.report.charts import default_level, domain_bars, score_trend
from secaudit.report.view import build_view
from secaudit.report.wording import Wording
from tests.report.conftest import NOW, build_input

SVG = "{http://www.w3.org/2000/svg}"
T = Wording(Language.EN)


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def test_matrix_places_open_risks_on_a_5x5_heat_map() -> None:
    data = build_input()
    view = build_view(data, Language.EN)
    root = _svg(view.charts["matrix"])
    cells = root.findall(f"{SVG}rect")
    assert len(cells) == 25
    counts = [int(t.text or 0) for t in root.findall(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert sum(counts) == len(view.open_risks) == 4  # the accepted risk is not placed
    titles = [c.findtext(f"{SVG}title") for c in root.findall(f"{SVG}circle")]
    assert any("TEC-6.1-002" in (title or "") for title in titles)


def test_matrix_follows_the_configured_3x3_matrix() -> None:
    data = build_input()
    data.config = data.config.model_copy(update={"risk_matrix": RiskMatrixKind.THREE})
    for risk in data.register:
        risk.likelihood, risk.impact = min(risk.likelihood, 3), min(risk.impact, 3)
    data.matrix_levels = {(lk, im): default_level(lk, im, 3) for lk in range(1, 4) for im in range(1, 4)}
    root = _svg(build_view(data, Language.JA).charts["matrix"])
    assert len(root.findall(f"{SVG}rect")) == 9
    html = produce(data, ReportFormat.HTML, Language.JA).decode()
    assert "3×3" in html


def test_level_bands_match_the_matrices() -> None:
    assert [default_level(1, n, 5) for n in (1, 4, 5, 10, 17)] == ["low", "low", "medium", "high", "critical"]
    assert [default_level(1, n, 3) for n in (1, 2, 3)] == ["low", "low", "medium"]
    assert default_level(2, 3, 3) == "high"


def test_trend_with_one_run_is_a_single_point() -> None:
    root = _svg(score_trend([], 0.5, NOW, lambda d: d.isoformat(), T))
    assert len(root.findall(f"{SVG}circle")) == 1
    assert root.find(f"{SVG}polyline") is None
    root = _svg(score_trend([ScorePoint(NOW - dt.timedelta(days=7), 0.25)], 0.5, NOW, lambda d: d.isoformat(), T))
    assert len(root.findall(f"{SVG}circle")) == 2
    line = root.find(f"{SVG}polyline")
    assert line is not None
    ys = [float(p.split(",")[1]) for p in (line.get("points") or "").split()]
    assert ys[0] > ys[1]  # the rate went up, so the line rises


def test_domain_bars_stack_statuses_and_escape_unknown_domains() -> None:
    data = build_input()
    scores = data.scores.by_domain | {"<x>": data.scores.by_domain["TEC"]}
    root = _svg(domain_bars(scores, T))
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "6 Technical security" in labels and " <x>" in labels
    tec = [r for r in root.findall(f"{SVG}rect") if (r.findtext(f"{SVG}title") or "").startswith(("Pass", "Fail"))]
    assert tec
