"""The model's vocabularies in words, (Japanese, English): one table each, for every output.

Reports, workbooks, gate reasons and rating lines all name statuses, severities, levels,
treatments and sections from here, so the Japanese output never shows an English code.
Plain dicts keyed by the enum values: cheap to import on the command line's start-up path.
"""

from __future__ import annotations

STATUS_TEXT: dict[str, tuple[str, str]] = {
    "pass": ("適合", "Pass"),
    "fail": ("不適合", "Fail"),
    "partial": ("一部適合", "Partial"),
    "not_applicable": ("対象外", "Not applicable"),
    "awaiting_answer": ("回答待ち", "Awaiting answer"),
    "not_scanned": ("未検証", "Not scanned"),
    "error": ("エラー", "Error"),
    "waived": ("例外措置", "Waived"),
}

SEVERITY_TEXT: dict[str, tuple[str, str]] = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("重大", "Critical"),
}

DOMAIN_TEXT: dict[str, tuple[str, str]] = {
    "ORG": ("組織体制", "Organisation"),
    "ASSET": ("情報資産の分類と管理", "Information assets"),
    "NET": ("情報システム全体の強靱性", "Network resilience"),
    "PHY": ("物理的セキュリティ", "Physical security"),
    "HUM": ("人的セキュリティ", "Human security"),
    "TEC": ("技術的セキュリティ", "Technical security"),
    "OPS": ("運用", "Operations"),
    "VEND": ("業務委託と外部サービス", "Outsourcing and cloud"),
    "EVAL": ("評価・見直し", "Evaluation and review"),
}

TREATMENT_TEXT: dict[str, tuple[str, str]] = {
    "mitigate": ("低減", "Mitigate"),
    "accept": ("受容", "Accept"),
    "transfer": ("移転", "Transfer"),
    "avoid": ("回避", "Avoid"),
}

RISK_STATUS_TEXT: dict[str, tuple[str, str]] = {
    "open": ("未対応", "Open"),
    "treating": ("対応中", "Treating"),
    "accepted": ("受容", "Accepted"),
    "resolved": ("解消", "Resolved"),
    "reopened": ("再発", "Reopened"),
}

RUN_STATUS_TEXT: dict[str, tuple[str, str]] = {
    "running": ("実行中", "running"),
    "completed": ("完了", "completed"),
    "unreachable": ("到達不可", "unreachable"),
    "failed": ("失敗", "failed"),
}

LEVEL_TEXT: dict[str, tuple[str, str]] = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("重大", "Critical"),
}


def ja(table: dict[str, tuple[str, str]], value: str) -> str:
    """The Japanese word for ``value`` in ``table`` (``value`` itself when the table lacks it)."""
    return table.get(str(value).lower(), table.get(str(value), (str(value), str(value))))[0]
