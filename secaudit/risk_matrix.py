"""Risk matrices and how a finding is rated on them.

Pure. Likelihood and impact are first worked out on a five-point scale,
then mapped to the configured matrix, so both matrices rate the same facts
the same way and each rating can be explained in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from secaudit.model import ControlResult, ResultStatus, Service, Severity
from secaudit.model.config import RiskMatrixKind

RESULT_LIKELIHOOD = {ResultStatus.FAIL: 3, ResultStatus.PARTIAL: 2}
_STATUS_JA = {ResultStatus.FAIL: "不適合", ResultStatus.PARTIAL: "一部適合"}
_SEVERITY_JA = {Severity.LOW: "低", Severity.MEDIUM: "中", Severity.HIGH: "高", Severity.CRITICAL: "重大"}
_LEVEL_JA = {"Low": "低", "Medium": "中", "High": "高", "Critical": "重大"}


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


def rate(service: Service, result: ControlResult, status: ResultStatus, matrix: RiskMatrix) -> Rating:
    """Rate a finding: likelihood from the result and exposure, impact from severity and classification."""
    attrs, cls = service.attributes, service.classification
    return _rate(
        status,
        result.severity,
        attrs.internet_facing,
        attrs.personal_data,
        (cls.confidentiality, cls.integrity, cls.availability),
        matrix,
    )


@lru_cache(maxsize=1024)
def _rate(
    status: ResultStatus,
    severity: Severity,
    internet_facing: bool,
    personal_data: bool,
    classification: tuple[int, int, int],
    matrix: RiskMatrix,
) -> Rating:
    """``rate`` from the only facts it depends on (so each combination is worked out once)."""
    base = RESULT_LIKELIHOOD.get(status, RESULT_LIKELIHOOD[ResultStatus.FAIL])
    # each step as (English, Japanese)
    l_parts = [(f"{status.value} {base}", f"{_STATUS_JA.get(status, status.value)} {base}")]
    l5 = base
    if internet_facing:
        l5 += 1
        l_parts.append(("+1 internet-facing", "+1 インターネット公開"))
    if personal_data:
        l5 += 1
        l_parts.append(("+1 personal data", "+1 個人情報"))
    confidentiality, integrity, availability = classification
    i5 = severity.rank
    i_parts = [(f"severity {severity.value} {i5}", f"重要度 {_SEVERITY_JA[severity]} {i5}")]
    if confidentiality == 3:
        i5 += 1
        i_parts.append(("+1 機密性3", "+1 機密性3"))
    elif confidentiality == 1 and integrity == 1 and availability == 1:
        i5 -= 1
        i_parts.append(("-1 機密性1/完全性1/可用性1", "-1 機密性1/完全性1/可用性1"))
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
        f"{likelihood}×{impact}={likelihood * impact} → {_LEVEL_JA.get(level.name, level.name)}"
    )
    return Rating(likelihood, impact, level, explanation, explanation_ja)
