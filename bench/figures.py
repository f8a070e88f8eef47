"""One way for every benchmark to print a figure beside its goal, and to hand it to ``bench/run_all.py``.

``figure()`` prints one aligned line; when ``SECAUDIT_BENCH_FIGURES`` names a
file, it also appends the figure there as one JSON line, which ``run_all.py``
reads to print the summary table.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

FIGURES_ENV = "SECAUDIT_BENCH_FIGURES"


@dataclass(frozen=True)
class Figure:
    """A measured value, its unit, and the goal it is held to (None: shown for information)."""

    label: str
    value: float
    unit: str
    goal: float | None = None
    op: str = "<"
    command: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the value meets the goal; None when there is no goal."""
        if self.goal is None:
            return None
        return self.value <= self.goal if self.op == "<=" else self.value < self.goal

    @property
    def verdict(self) -> str:
        """``met``, ``MISSED`` or ``info``."""
        return {True: "met", False: "MISSED", None: "info"}[self.met]

    def goal_text(self) -> str:
        """The goal as written, e.g. ``< 0.3 s``."""
        if self.goal is None:
            return "-"
        return f"{self.op} {self.goal:g} {self.unit}".rstrip()


def fmt_value(value: float, unit: str) -> str:
    """A value with sensible precision for its size."""
    if unit == "x":
        return f"{value:.2f} x"
    digits = 3 if abs(value) < 10 else 1 if abs(value) < 1000 else 0
    return f"{value:.{digits}f} {unit}".rstrip()


def figure(label: str, value: float, unit: str, goal: float | None = None, op: str = "<", command: str = "") -> Figure:
    """Print ``label``, value and goal on one line; record the figure for run_all.py when asked to."""
    fig = Figure(label, value, unit, goal, op, command)
    print(f"{label:<54} {fmt_value(value, unit):>12}   goal {fig.goal_text():<12} {fig.verdict}", flush=True)
    target = os.environ.get(FIGURES_ENV)
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(fig), ensure_ascii=False) + "\n")
    return fig
