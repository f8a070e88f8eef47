"""Inline SVG charts: the risk matrix heat map, results per domain, the pass rate over time.

Charts are drawn as SVG text in Python so that HTML and PDF show the same
picture without JavaScript. Every piece of text is XML-escaped here; the
result is returned as ``Markup`` so templates can embed it as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

from secaudit.model import Domain, RiskEntry, StatusCounts
from secaudit.report.input import ScorePoint
from secaudit.report.wording import Wording

LEVEL_COLOURS = {"low": "#d4ecd4", "medium": "#fdf0b5", "high": "#f8c48f", "critical": "#e98b83"}
LEVEL_ALIASES = {"低": "low", "中": "medium", "高": "high", "重大": "critical", "very high": "critical"}
STATUS_COLOURS = {
    "pass": "#3a8a4f",
    "partial": "#e0b43a",
    "fail": "#c4443b",
    "waived": "#8a6bb1",
    "awaiting_answer": "#8f969e",
    "not_scanned": "#c3c8cd",
    "error": "#3d3d3d",
}
FONT = "font-family=\"'Noto Sans CJK JP', 'Noto Sans JP', sans-serif\""


def _x(value: object) -> str:
    if isinstance(value, Markup):  # already escaped (our wording)
        return str(value)
    return escape(str(value), quote=True)


def level_key(level: str) -> str:
    """A level name normalised to low / medium / high / critical where it is one of those."""
    lowered = level.strip().lower()
    return LEVEL_ALIASES.get(lowered, lowered)


def default_level(likelihood: int, impact: int, size: int) -> str:
    """The level of a cell when no register entry names one (product bands, documented in Appendix C)."""
    product = likelihood * impact
    if size == 3:
        return "low" if product <= 2 else "medium" if product <= 4 else "high"
    if product <= 4:
        return "low"
    if product <= 9:
        return "medium"
    return "high" if product <= 16 else "critical"


def matrix_levels(size: int, register: list[RiskEntry]) -> dict[tuple[int, int], str]:
    """The level of each (likelihood, impact) cell: from the register where it says, else the default."""
    levels = {(lk, im): default_level(lk, im, size) for lk in range(1, size + 1) for im in range(1, size + 1)}
    for entry in register:
        if (entry.likelihood, entry.impact) in levels:
            levels[(entry.likelihood, entry.impact)] = level_key(entry.inherent_level)
    return levels


def risk_matrix(size: int, levels: dict[tuple[int, int], str], open_risks: list[RiskEntry], t: Wording) -> Markup:
    """The risk matrix as a heat map (cell levels as given), with the number of open risks in each cell."""
    cell, left, top = 50, 50, 14
    width, height = left + size * cell + 12, top + size * cell + 50
    placed: dict[tuple[int, int], list[str]] = {}
    for risk in open_risks:
        key = (min(max(risk.likelihood, 1), size), min(max(risk.impact, 1), size))
        placed.setdefault(key, []).append(risk.control_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-matrix" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_x(t.chart_matrix)}" {FONT}>'
    ]
    for lk in range(1, size + 1):
        for im in range(1, size + 1):
            x, y = left + (lk - 1) * cell, top + (size - im) * cell
            level = level_key(levels.get((lk, im), default_level(lk, im, size)))
            colour = LEVEL_COLOURS.get(level, "#eeeeee")
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{colour}" stroke="#ffffff" '
                f'stroke-width="2"><title>{_x(t.likelihood)} {lk} / {_x(t.impact)} {im}: {_x(t.level_name(level))}'
                "</title></rect>"
            )
            ids = placed.get((lk, im))
            if ids:
                cx, cy = x + cell / 2, y + cell / 2
                parts.append(
                    f'<circle cx="{cx}" cy="{cy}" r="14" fill="#1f2d3d"><title>{_x(", ".join(ids))}</title></circle>'
                    f'<text x="{cx}" y="{cy + 5}" text-anchor="middle" font-size="13" font-weight="bold" '
                    f'fill="#ffffff">{len(ids)}</text>'
                )
    for n in range(1, size + 1):
        parts.append(
            f'<text x="{left + (n - 0.5) * cell}" y="{top + size * cell + 16}" text-anchor="middle" '
            f'font-size="12">{n}</text>'
            f'<text x="{left - 8}" y="{top + (size - n + 0.5) * cell + 4}" text-anchor="end" font-size="12">{n}</text>'
        )
    parts.append(
        f'<text x="{left + size * cell / 2}" y="{height - 8}" text-anchor="middle" font-size="12">'
        f"{_x(t.likelihood)} →</text>"
        f'<text x="14" y="{top + size * cell / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {top + size * cell / 2})">{_x(t.impact)} →</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def domain_bars(by_domain: dict[str, StatusCounts], t: Wording) -> Markup:
    """Results per MIC section as horizontal stacked bars (not-applicable controls left out)."""
    domains = [d.value for d in Domain if d.value in by_domain] + sorted(
        k for k in by_domain if k not in {d.value for d in Domain}
    )
    label_w, bar_w, row_h, top = 190, 380, 24, 8
    legend_h = 22 * ((len(STATUS_COLOURS) + 3) // 4)
    height = top + max(len(domains), 1) * row_h + 12 + legend_h
    width = max(label_w + bar_w + 50, 40 + 4 * 125)
    most = max((sum(v for k, v in by_domain[d].counts.items() if k in STATUS_COLOURS) for d in domains), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-domains" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_x(t.chart_domains)}" {FONT}>'
    ]
    for i, domain in enumerate(domains):
        y = top + i * row_h
        counts = {str(k): v for k, v in by_domain[domain].counts.items()}
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="11">'
            f"{Domain(domain).section if domain in Domain.__members__ else ''} {_x(t.domain_name(domain))}</text>"
        )
        x = float(label_w)
        total = 0
        for status, colour in STATUS_COLOURS.items():
            n = counts.get(status, 0)
            if not n or not most:
                continue
            w = bar_w * n / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
                f"<title>{_x(t.status_name(status))}: {n}</title></rect>"
            )
            x += w
            total += n
        parts.append(f'<text x="{x + 5:.1f}" y="{y + 15}" font-size="11">{total}</text>')
    legend_y = top + max(len(domains), 1) * row_h + 12
    for j, (status, colour) in enumerate(STATUS_COLOURS.items()):
        lx, ly = 40 + (j % 4) * 125, legend_y + (j // 4) * 22
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 17}" y="{ly + 10}" font-size="11">{_x(t.status_name(status))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def score_trend(
    history: Sequence[ScorePoint],
    current: float | None,
    now: dt.datetime,
    when: Callable[[dt.datetime], str],
    t: Wording,
) -> Markup:
    """The overall pass rate over past assessments and this one; a single point when there is no history."""
    points = [(p.at, p.pass_rate) for p in history if p.pass_rate is not None]
    if current is not None:
        points.append((now, current))
    points.sort(key=lambda p: p[0])
    left, top, plot_w, plot_h = 40, 12, 270, 150
    width, height = left + plot_w + 24, top + plot_h + 44
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-trend" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_x(t.chart_trend)}" {FONT}>'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#dde1e6" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{pct}%</text>'
        )
    coords = []
    for i, (at, rate) in enumerate(points):
        x = left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))
        y = top + plot_h * (1 - float(rate or 0))
        coords.append((x, y, at, rate))
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f5f99" stroke-width="2.5"/>')
    for x, y, at, rate in coords:
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#1f5f99"><title>{_x(when(at))}: '
            f"{float(rate or 0) * 100:.1f}%</title></circle>"
        )
    if coords:
        first, last = coords[0], coords[-1]
        anchor = "middle" if len(coords) == 1 else "start"
        parts.append(
            f'<text x="{first[0]:.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}"'
            f' font-size="10">{_x(when(first[2])[:10])}</text>'
        )
        if len(coords) > 1:
            parts.append(
                f'<text x="{last[0]:.1f}" y="{top + plot_h + 18}" text-anchor="end" font-size="10">'
                f"{_x(when(last[2])[:10])}</text>"
            )
        if len(coords) == 1:
            parts.append(
                f'<text x="{left + plot_w / 2}" y="{top + plot_h + 36}" text-anchor="middle" font-size="11">'
                f"{_x(t.history_one)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
