"""Risk matrices and how a finding is rated on them.

Pure. Likelihood and impact are first worked out on a five-point scale,
then mapped to the configured matrix, so both matrices rate the same facts
the same way and each rating can be explained in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from secaudit.model import Confidentiality, ControlResult, ResultStatus, SecurityDimension, Service, Severity
from secaudit.model.config import RiskMatrixKind
from secaudit.model.labels import LEVEL_TEXT, SEVERITY_TEXT, ja

# The rating model (docs/risk.md), on a five-point scale before it is mapped to the matrix.
# Likelihood starts from the weakness: how severe the failing evidence is (NIST SP 800-30 Rev. 1,
# Table F-2 vulnerability severity), one step lower when the control is only partly met; threat
# exposure (a predisposing condition, Table F-5) then moves it by at most one step.
WEAKNESS_LIKELIHOOD = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
# Impact starts from the classification of the dimension the control protects (ISO/IEC 27005:2022
# consequence; the MIC guideline's 機密性 3A/3B/3C/2/1 or, 令和4年版, 3/2/1, 完全性 2/1, 可用性 2/1),
# then the control's severity moves it by at most one step. Keys are the levels as written.
# 3A and 3B keep the old 機密性3's 5 (a leak seriously harms residents' lives or rights); 3C, the least
# sensitive of the band, sits one step lower but above 2; a 令和4年版 3 is rated as 3A (docs/risk.md).
DIMENSION_IMPACT: dict[SecurityDimension, dict[str, int]] = {
    SecurityDimension.CONFIDENTIALITY: {
        Confidentiality.THREE_A: 5,
        Confidentiality.THREE_B: 5,
        Confidentiality.THREE_C: 4,
        Confidentiality.THREE: 5,
        Confidentiality.TWO: 3,
        Confidentiality.ONE: 1,
    },
    SecurityDimension.INTEGRITY: {"2": 4, "1": 2},
    SecurityDimension.AVAILABILITY: {"2": 4, "1": 2},
}
SEVERITY_IMPACT_STEP = {Severity.LOW: -1, Severity.MEDIUM: 0, Severity.HIGH: 0, Severity.CRITICAL: 1}

_DIMENSION_JA = {
    SecurityDimension.CONFIDENTIALITY: "機密性",
    SecurityDimension.INTEGRITY: "完全性",
    SecurityDimension.AVAILABILITY: "可用性",
}


@dataclass(frozen=True)
class RiskLevel:
    """A named band of a matrix; ``rank`` lines up with Severity.rank (1 low .. 4 critical)."""

    name: str
    rank: int
    min_score: int


@dataclass(frozen=True)
class RiskMatrix:
    """A likelihood x impact matrix: its size and its bands, lowest first."""

    kind: RiskMatrixKind
    size: int
    levels: tuple[RiskLevel, ...]

    def level(self, likelihood: int, impact: int) -> RiskLevel:
        """The band of ``likelihood x impact``."""
        if not (1 <= likelihood <= self.size and 1 <= impact <= self.size):
            raise ValueError(f"likelihood and impact must be 1..{self.size} on the {self.kind.value} matrix")
        product = likelihood * impact
        return [lv for lv in self.levels if product >= lv.min_score][-1]

    def scale(self, five_point: int) -> int:
        """Map a value on the five-point scale to this matrix (1-2 -> 1, 3 -> 2, 4-5 -> 3 on 3x3)."""
        value = max(1, min(5, five_point))
        if self.size == 5:
            return value
        return 1 if value <= 2 else (2 if value == 3 else 3)

    def level_by_name(self, name: str) -> RiskLevel | None:
        """The band called ``name`` (case-insensitive), if any."""
        return next((lv for lv in self.levels if lv.name.lower() == name.lower()), None)


MATRICES: dict[RiskMatrixKind, RiskMatrix] = {
    RiskMatrixKind.FIVE: RiskMatrix(
        RiskMatrixKind.FIVE,
        5,
        (
            RiskLevel("Low", 1, 1),
            RiskLevel("Medium", 2, 5),
            RiskLevel("High", 3, 10),
            RiskLevel("Critical", 4, 17),
        ),
    ),
    RiskMatrixKind.THREE: RiskMatrix(
        RiskMatrixKind.THREE,
        3,
        (RiskLevel("低", 1, 1), RiskLevel("中", 2, 3), RiskLevel("高", 3, 6)),
    ),
}


def matrix_for(kind: RiskMatrixKind | str) -> RiskMatrix:
    """The matrix of ``kind`` (5x5 or 3x3)."""
    return MATRICES[RiskMatrixKind(kind)]


@dataclass(frozen=True)
class Rating:
    """Likelihood and impact on a matrix, the band, and why."""

    likelihood: int
    impact: int
    level: RiskLevel
    explanation: str
    explanation_ja: str = ""

    @property
    def score(self) -> int:
        """likelihood x impact."""
        return self.likelihood * self.impact


class Exposure(StrEnum):
    """How exposed the service is to threats: the one step exposure may move likelihood."""

    INTERNET = "internet"
    INTERNAL = "internal"

    @property
    def step(self) -> int:
        """+1 reachable from the Internet; 0 otherwise (a separated network lowers nothing: insiders remain)."""
        return 1 if self is Exposure.INTERNET else 0


def exposure_of(service: Service) -> Exposure:
    """The service's threat exposure from its attributes."""
    return Exposure.INTERNET if service.attributes.internet_facing else Exposure.INTERNAL


def rate(
    service: Service,
    result: ControlResult,
    status: ResultStatus,
    matrix: RiskMatrix,
    protects: Sequence[SecurityDimension] = (SecurityDimension.CONFIDENTIALITY,),
    weakness: Severity | None = None,
) -> Rating:
    """Rate a finding: likelihood from the weakness and the exposure, impact from what the control
    protects and the control's severity (docs/risk.md)."""
    cls = service.classification
    return _rate(
        status,
        weakness or result.weakness or result.severity,
        result.severity,
        exposure_of(service),
        tuple(sorted(set(protects))),
        (cls.confidentiality.value, str(cls.integrity), str(cls.availability)),
        matrix,
    )


@lru_cache(maxsize=4096)
def _rate(
    status: ResultStatus,
    weakness: Severity,
    severity: Severity,
    exposure: Exposure,
    protects: tuple[SecurityDimension, ...],
    classification: tuple[str, str, str],
    matrix: RiskMatrix,
) -> Rating:
    """``rate`` from the only facts it depends on (so each combination is worked out once)."""
    # each step as (English, Japanese)
    base = WEAKNESS_LIKELIHOOD[weakness]
    l_parts = [(f"weakness {weakness.value} {base}", f"弱点の重大度 {ja(SEVERITY_TEXT, weakness.value)} {base}")]
    l5 = base
    if status is ResultStatus.PARTIAL:
        l5 -= 1
        l_parts.append(("-1 partly met", "-1 一部適合"))
    if exposure.step:
        l5 += exposure.step
        l_parts.append(("+1 internet-facing", "+1 インターネット公開"))
    values = dict(zip(SecurityDimension, classification, strict=True))
    dimension = max(protects, key=lambda d: (DIMENSION_IMPACT[d][values[d]], -list(SecurityDimension).index(d)))
    i5 = DIMENSION_IMPACT[dimension][values[dimension]]
    i_parts = [(f"{dimension.value} {values[dimension]} {i5}", f"{_DIMENSION_JA[dimension]}{values[dimension]} {i5}")]
    step = SEVERITY_IMPACT_STEP[severity]
    if step:
        i5 += step
        sign = "+1" if step > 0 else "-1"
        i_parts.append((f"{sign} severity {severity.value}", f"{sign} 重要度 {ja(SEVERITY_TEXT, severity.value)}"))
    l5 = max(1, min(5, l5))
    i5 = max(1, min(5, i5))
    likelihood, impact = matrix.scale(l5), matrix.scale(i5)
    level = matrix.level(likelihood, impact)

    def show(value: int, five: int, parts: list[tuple[str, str]], ja: bool) -> str:
        words = " ".join(part[1] if ja else part[0] for part in parts)
        if matrix.size == 5:
            return f"{value} = {words}"
        return f"{value}（5段階で {five}）= {words}" if ja else f"{value} (5-pt {five}) = {words}"

    explanation = (
        f"likelihood {show(likelihood, l5, l_parts, False)}; impact {show(impact, i5, i_parts, False)}; "
        f"{likelihood}x{impact}={likelihood * impact} -> {level.name}"
    )
    explanation_ja = (
        f"発生可能性 {show(likelihood, l5, l_parts, True)}、影響度 {show(impact, i5, i_parts, True)}、"
        f"{likelihood}×{impact}={likelihood * impact} → {ja(LEVEL_TEXT, level.name)}"
    )
    return Rating(likelihood, impact, level, explanation, explanation_ja)
