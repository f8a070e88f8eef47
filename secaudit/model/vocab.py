"""Fixed vocabularies (plain enums, no pydantic), cheap to import on the command line's start-up path.

``secaudit.model`` and its submodules re-export every name here; import from there as usual.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How bad a failed control or check is, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """1 for low up to 4 for critical."""
        return _SEVERITY_RANK[self]


class Domain(StrEnum):
    """The nine sections of the MIC guideline's standards part (対策基準)."""

    ORG = "ORG"
    ASSET = "ASSET"
    NET = "NET"
    PHY = "PHY"
    HUM = "HUM"
    TEC = "TEC"
    OPS = "OPS"
    VEND = "VEND"
    EVAL = "EVAL"

    @property
    def section(self) -> int:
        """The guideline section number, 1 to 9."""
        return _DOMAIN_SECTION[self]


_SEVERITY_RANK = {severity: n for n, severity in enumerate(Severity, start=1)}
_DOMAIN_SECTION = {domain: n for n, domain in enumerate(Domain, start=1)}


class ControlType(StrEnum):
    """Kind of measure a control asks for."""

    ORGANISATIONAL = "organisational"
    HUMAN = "human"
    PHYSICAL = "physical"
    TECHNICAL = "technical"


class SecurityDimension(StrEnum):
    """What a control protects: the three dimensions of the information classification."""

    CONFIDENTIALITY = "confidentiality"
    INTEGRITY = "integrity"
    AVAILABILITY = "availability"


class Language(StrEnum):
    """Languages every text is written in."""

    JA = "ja"
    EN = "en"


class RiskMatrixKind(StrEnum):
    """Risk matrices on offer: 5x5 (enterprise practice) or 3x3 (municipal practice)."""

    FIVE = "5x5"
    THREE = "3x3"


class ResultStatus(StrEnum):
    """The status of one control for one service."""

    PASS = "pass"  # noqa: S105  (a status, not a password)
    FAIL = "fail"
    PARTIAL = "partial"
    NOT_APPLICABLE = "not_applicable"
    AWAITING_ANSWER = "awaiting_answer"
    NOT_SCANNED = "not_scanned"
    ERROR = "error"
    WAIVED = "waived"

    @property
    def unverified(self) -> bool:
        """A required answer is missing, or a check errored or did not run: nothing was judged.

        An unverified control is a gate reason and a limit of the audit (監査範囲の制約), never a risk.
        """
        return self in _UNVERIFIED

    @property
    def raises_risk(self) -> bool:
        """A judged non-compliance (fail or partial): what becomes an entry of the risk register."""
        return self in _RAISES_RISK


_UNVERIFIED = frozenset({ResultStatus.AWAITING_ANSWER, ResultStatus.NOT_SCANNED, ResultStatus.ERROR})
_RAISES_RISK = frozenset({ResultStatus.FAIL, ResultStatus.PARTIAL})

REVIEW_RESULTS: tuple[ResultStatus, ...] = (
    ResultStatus.PASS,
    ResultStatus.FAIL,
    ResultStatus.PARTIAL,
    ResultStatus.NOT_APPLICABLE,
)
"""What a reviewer may set a control's result to (``assess review`` and the portal): a judgement, never
"awaiting" or "not scanned" (those say evidence is missing, which a review cannot supply)."""


class TrailVerdict(StrEnum):
    """What one piece of evidence in a result's trail says.

    An answer's ``Verdict``, an observation's status, a review's result, or one of the words for
    evidence that was not there or could not be judged. The values appear in reports and exports.
    """

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    INFO = "info"
    PASS = "pass"  # noqa: S105  (a verdict, not a password)
    FAIL = "fail"
    PARTIAL = "partial"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    NOT_RUN = "not_run"
    NOT_SCANNED = "not_scanned"
    MISSING = "missing"
    SKIPPED = "skipped"
    UNJUDGEABLE = "unjudgeable"
    LAPSED = "lapsed"


class TreatmentKind(StrEnum):
    """How a risk is dealt with."""

    MITIGATE = "mitigate"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    AVOID = "avoid"


class DecisionKind(StrEnum):
    """The launch decision."""

    GO = "GO"
    CONDITIONAL = "CONDITIONAL"
    NO_GO = "NO-GO"
