"""The risk matrices: their bands, and the impact table a finding is rated from."""

from __future__ import annotations

import pytest

from secaudit.model import Confidentiality, SecurityDimension
from secaudit.model.config import RiskMatrixKind
from secaudit.risk.matrix import DIMENSION_IMPACT, matrix_for

FIVE, THREE = RiskMatrixKind.FIVE, RiskMatrixKind.THREE

# docs/risk.md's impact table for 機密性, both schemes: 3A and 3B keep the old 3's 5, 3C one step lower.
CONFIDENTIALITY_IMPACTS = [("3A", 5), ("3B", 5), ("3C", 4), ("3", 5), ("2", 3), ("1", 1)]


def test_matrix_bands() -> None:
    five, three = matrix_for(FIVE), matrix_for(THREE)
    assert [five.level(lk, im).name for lk, im in ((1, 4), (1, 5), (3, 3), (2, 5), (4, 4), (4, 5))] == [
        "Low",
        "Medium",
        "Medium",
        "High",
        "High",
        "Critical",
    ]
    assert [three.level(lk, im).name for lk, im in ((1, 2), (1, 3), (2, 2), (2, 3), (3, 3))] == [
        "低",
        "中",
        "中",
        "高",
        "高",
    ]
    with pytest.raises(ValueError):
        three.level(4, 1)


def test_the_impact_table_covers_every_level_and_never_falls_as_sensitivity_rises() -> None:
    table = DIMENSION_IMPACT[SecurityDimension.CONFIDENTIALITY]
    assert set(table) == set(Confidentiality)
    assert dict(CONFIDENTIALITY_IMPACTS) == {str(level): impact for level, impact in table.items()}
    by_rank = [table[level] for level in sorted(Confidentiality, key=lambda level: level.rank)]
    assert by_rank == sorted(by_rank)
