"""What the values of the fixed vocabularies are called, in Japanese and English.

One table per vocabulary, keyed by the value as stored, each name as a
``(ja, en)`` pair. Reports, workbooks and the terminal all show these, and
the register workbook reads them back, so a name changed here changes
everywhere at once.
"""

from __future__ import annotations

from secaudit.model.vocab import Domain, Language, TreatmentKind

Names = dict[str, tuple[str, str]]

STATUS_TEXT: Names = {
    "pass": ("適合", "Pass"),
    "fail": ("不適合", "Fail"),
    "partial": ("一部適合", "Partial"),
    "not_applicable": ("対象外", "Not applicable"),
    "awaiting_answer": ("回答待ち", "Awaiting answer"),
    "not_scanned": ("未検証", "Not scanned"),
    "error": ("エラー", "Error"),
    "waived": ("例外措置", "Waived"),
}

VERDICT_TEXT: Names = {
    "compliant": STATUS_TEXT["pass"],
    "partial": STATUS_TEXT["partial"],
    "non_compliant": STATUS_TEXT["fail"],
    "not_applicable": STATUS_TEXT["not_applicable"],
    "info": ("判定に用いない", "Information only"),
}
"""What one answer says (``Verdict``), in the words of the result it leads to."""

TRAIL_VERDICT_TEXT: Names = {
    "missing": ("必須回答なし", "required answer missing"),
    "skipped": ("対象外の追加質問", "follow-up not asked"),
    "unjudgeable": ("判定不能", "cannot be judged"),
    "not_run": ("未実施", "not run"),
    "lapsed": ("失効（新しい根拠あり）", "lapsed (newer evidence)"),
}
"""Verdicts in an evidence trail that are neither an answer's verdict nor a result status."""

SEVERITY_TEXT: Names = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("重大", "Critical"),
}

DOMAIN_TEXT: Names = {
    Domain.ORG.value: ("組織体制", "Organisation"),
    Domain.ASSET.value: ("情報資産の分類と管理", "Information assets"),
    Domain.NET.value: ("情報システム全体の強靱性の向上", "Network resilience (three tiers)"),
    Domain.PHY.value: ("物理的セキュリティ", "Physical security"),
    Domain.HUM.value: ("人的セキュリティ", "Human security"),
    Domain.TEC.value: ("技術的セキュリティ", "Technical security"),
    Domain.OPS.value: ("運用", "Operations"),
    Domain.VEND.value: ("業務委託と外部サービスの利用", "Outsourcing and external services"),
    Domain.EVAL.value: ("評価・見直し", "Evaluation and review"),
}
"""The nine sections of the guideline's standards part, as the guideline names them."""

TREATMENT_TEXT: Names = {
    TreatmentKind.MITIGATE.value: ("対策", "Mitigate"),
    TreatmentKind.ACCEPT.value: ("受容", "Accept"),
    TreatmentKind.TRANSFER.value: ("移転", "Transfer"),
    TreatmentKind.AVOID.value: ("回避", "Avoid"),
}

TREATMENT_SYNONYMS: dict[str, TreatmentKind] = {
    "低減": TreatmentKind.MITIGATE,
    "例外措置": TreatmentKind.ACCEPT,
    "保有": TreatmentKind.ACCEPT,
}
"""Other words officers write for a treatment (JIS Q 31000's 低減 and 保有, the policy's 例外措置), read on import."""

RISK_STATUS_TEXT: Names = {
    "open": ("未対応", "Open"),
    "treating": ("対応中", "Treating"),
    "accepted": ("受容", "Accepted"),
    "resolved": ("解消", "Resolved"),
    "reopened": ("再発", "Reopened"),
}

RUN_STATUS_TEXT: Names = {
    "running": ("実行中", "running"),
    "completed": ("完了", "completed"),
    "unreachable": ("到達不可", "unreachable"),
    "failed": ("失敗", "failed"),
}

PROCEDURE_TEXT: Names = {
    "document_review": ("文書の閲覧", "Document review"),
    "interview": ("ヒアリング", "Interview"),
    "onsite_inspection": ("実地の確認", "On-site inspection"),
    "scan": ("技術的検証", "Technical verification"),
    "re_performance": ("再実施", "Re-performance"),
}
"""The audit techniques of the MIC audit guideline (``model.control.Procedure``)."""

FRAMEWORK_TEXT: Names = {
    "mic-guideline": ("総務省ガイドライン", "MIC guideline"),
    "iso27002": ("ISO/IEC 27002:2022", "ISO/IEC 27002:2022"),
    "nist-csf": ("NIST CSF 2.0", "NIST CSF 2.0"),
    "ipa": ("IPA", "IPA"),
    "digital-agency": ("デジタル庁", "Digital Agency"),
    "ismap": ("ISMAP", "ISMAP"),
    "pci-dss": ("PCI DSS", "PCI DSS"),
    "mozilla-tls": ("Mozilla Server Side TLS", "Mozilla Server Side TLS"),
    "owasp": ("OWASP", "OWASP"),
    "meti": ("経済産業省", "METI"),
    "law": ("法令", "Japanese law"),
}
"""The documents a control cites, by the names a reader knows them (a catalog's ids are ``ReferenceFramework``)."""

SCHEME_TEXT: Names = {
    "r6": ("令和6年10月版以降の区分（機密性3A・3B・3C・2・1）", "令和6年10月版 onward (confidentiality 3A/3B/3C/2/1)"),
    "r4": ("令和4年版までの区分（機密性3・2・1）", "令和4年版 and earlier (confidentiality 3/2/1)"),
}
"""The classification schemes a workspace may declare (``classification_scheme``), by the guideline edition."""

LEVEL_TEXT: Names = {
    "low": ("低", "Low"),
    "medium": ("中", "Medium"),
    "high": ("高", "High"),
    "critical": ("重大", "Critical"),
}


def name_of(names: Names, value: str, lang: Language | str) -> str:
    """The name of ``value`` in ``lang`` (risk levels match whatever their case, e.g. ``Critical``);
    a value the table does not know is shown as it is."""
    ja, en = names.get(value) or names.get(str(value).lower()) or (value, value)
    return en if str(lang) == Language.EN.value else ja


def ja(names: Names, value: str) -> str:
    """The Japanese name of ``value``: for Japanese sentences built beside their English twins."""
    return name_of(names, value, Language.JA)
