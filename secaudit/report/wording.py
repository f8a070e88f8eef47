"""The fixed wording of reports and the dashboard, in Japanese and English.

Templates show these through ``t.<key>``; a workspace that overrides a template
can still use them. Opinion sentences are advisory (助言型): they describe what
the procedures found and recommend; they never give assurance.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from secaudit.model import ORGANISATION_ID, Language
from secaudit.model.condition import FACT_LABELS, value_en, value_ja
from secaudit.model.labels import (
    DOMAIN_TEXT,
    FRAMEWORK_TEXT,
    LEVEL_TEXT,
    RISK_STATUS_TEXT,
    RUN_STATUS_TEXT,
    SEVERITY_TEXT,
    STATUS_TEXT,
    TRAIL_VERDICT_TEXT,
    TREATMENT_TEXT,
    VERDICT_TEXT,
    name_of,
)

_TEXT: dict[str, tuple[str, str]] = {
    "report_title": ("情報セキュリティ監査報告書", "Information security audit report"),
    "dashboard_title": ("オンラインサービス 情報セキュリティ状況一覧", "Online services security dashboard"),
    "advisory_note": (
        "本報告書は助言型の情報セキュリティ監査の結果であり、対象サービスの安全性を保証するものではありません。",
        "This is the report of an advisory information security audit; it gives no assurance "
        "about the security of the service.",
    ),
    "s_intro": ("1. 監査の概要", "1. About this audit"),
    "s_purpose": ("1.1 監査の目的", "1.1 Purpose"),
    "s_scope": ("1.2 監査の範囲", "1.2 Scope"),
    "s_criteria": ("1.3 監査基準", "1.3 Audit criteria"),
    "s_procedures": ("1.4 監査手続", "1.4 Procedures"),
    "s_summary": ("2. 総合意見とサービス開始判定", "2. Overall opinion and launch decision"),
    "s_opinion": ("総合意見", "Overall opinion"),
    "s_findings": ("3. 指摘事項", "3. Findings"),
    "s_recommendations": ("4. 改善提言", "4. Recommendations"),
    "s_good": ("5. 良好事項", "5. Good practice"),
    "s_limits": ("6. 監査範囲の制約", "6. Limits of the audit"),
    "s_register": ("7. リスク一覧", "7. Risks"),
    "s_appendices": ("付録", "Appendices"),
    "a_controls": (
        "付録A 適用宣言書と全管理策の評価根拠",
        "Appendix A. Statement of applicability: every control, its result and evidence",
    ),
    "a_scan": ("付録B 技術的検証（スキャン）の詳細", "Appendix B. Scan details"),
    "a_method": ("付録C スコアとリスクレベルの算定方法", "Appendix C. How scores and risk levels were computed"),
    "service": ("対象サービス", "Service"),
    "service_id": ("サービスID", "Service id"),
    "department": ("所管課", "Department"),
    "owner": ("サービス責任者", "Service owner"),
    "organisation": ("団体名", "Organisation"),
    "launch_date": ("サービス開始予定日", "Launch date"),
    "classification": ("情報資産の分類", "Classification"),
    "classification_value": (
        "機密性{c} / 完全性{i} / 可用性{a}",
        "Confidentiality {c} / integrity {i} / availability {a}",
    ),
    "attributes": ("サービスの特性", "Service attributes"),
    "scope": ("監査の範囲と対象", "Scope and targets"),
    "scope_checklists": ("適用したチェックリスト", "Checklists applied"),
    "scope_targets": ("技術的検証の対象", "Scan targets"),
    "scope_authorised": ("検証の承認", "Scan authorised by"),
    "no_scope": ("技術的検証の対象は定義されていません。", "No scan targets are declared."),
    "period": ("監査期間", "Audit period"),
    "auditor": ("監査実施者", "Auditor"),
    "methods": ("監査手続", "Methods used"),
    "method_document_review_what": (
        "規程、手順書、記録、報告書等を閲覧し、管理策が定められ文書化されているか、運用の記録があるかを確かめる。"
        "所管課が質問票の回答とともに示した根拠資料を含む。",
        "Rules, procedures, records and reports are read to see whether the control is defined and documented "
        "and whether records of its operation exist, including the documents the department gave with its answers.",
    ),
    "method_interview_what": (
        "所管課が回答した質問票と担当者への聴取により、管理策の整備状況と運用状況を確かめる。",
        "The department's questionnaire answers, and questions to the staff, show how each control is defined "
        "and operated.",
    ),
    "method_onsite_inspection_what": (
        "設置場所、端末、保管状況等を現地で確かめる。secaudit は記録しないため、監査人が調書に記録する。",
        "Sites, terminals and storage are seen in place. secaudit records none of this: the auditor keeps it "
        "in the working papers.",
    ),
    "method_scan_what": (
        "承認された対象に限り、ポート、TLS及びHTTPの設定を外部から検査する。",
        "Ports, TLS and HTTP settings are examined from outside, on the authorised targets only.",
    ),
    "method_re_performance_what": (
        "設定や手順を監査人自身が再実施して結果を確かめる。secaudit は記録しないため、監査人が調書に記録する。",
        "The auditor repeats a setting or procedure to check its result. secaudit records none of this: the "
        "auditor keeps it in the working papers.",
    ),
    "method_design": ("整備状況", "Design"),
    "method_operation": ("運用状況", "Operation"),
    "method_evidence": ("得られた根拠", "Evidence held"),
    "methods_note": (
        "整備状況・運用状況の列は、適用される管理策のうち、その手続で確認することを定めたものの数。"
        "得られた根拠の列は、secaudit が保持する回答（根拠資料の記載があるもの）と観測の数。",
        "The design and operation columns count the applicable controls whose audit calls for the technique; "
        "the evidence column counts the answers (with a document named) and observations secaudit holds.",
    ),
    "method_count": ("{n}件", "{n} items"),
    "method_what": ("内容", "What was done"),
    "purpose_text": (
        "本監査は、{org}が「{service}」をオンラインで提供するにあたり、情報セキュリティポリシー（総務省「地方公共団体に"
        "おける情報セキュリティポリシーに関するガイドライン」に準拠）に定める管理策の整備状況と運用状況を確認し、"
        "サービス開始の可否の判断に資する助言を行うことを目的とする。",
        "This audit checks how the controls of the security policy (which follows the MIC local-government "
        'guideline) are defined and operated for {org}\'s online service "{service}", and advises on whether it '
        "can be launched.",
    ),
    "out_of_scope": ("範囲外とした事項", "Out of scope"),
    "out_of_scope_text": (
        "サービスの特性により適用外となった管理策{n}件（理由は付録Aに記載）。技術的検証は上記の承認された対象に限り、"
        "それ以外の機器・ネットワークは対象としていない。",
        "{n} controls that do not apply to this service (the reason for each is in Appendix A). Technical "
        "verification covered only the authorised targets above, no other host or network.",
    ),
    "out_of_scope_no_scan": (
        "サービスの特性により適用外となった管理策{n}件（理由は付録Aに記載）。技術的検証の対象は定義されていない。",
        "{n} controls that do not apply to this service (the reason for each is in Appendix A). No target was "
        "declared for technical verification.",
    ),
    "criteria_intro": (
        "次のチェックリストを監査基準とした。各管理策が依拠する文書と版は、指摘事項及び付録Aの「参照」に記載する。",
        "The checklists below were the audit criteria. The documents and editions each control rests on are "
        'given under "References" in the findings and in Appendix A.',
    ),
    "criteria_checklist": ("チェックリスト", "Checklist"),
    "criteria_edition": ("版", "Version"),
    "criteria_basis": ("依拠する文書", "Based on"),
    "criteria_controls": ("適用 / 全体", "Applicable / all"),
    "criteria_baselines": ("技術的検証の判定基準", "Baselines of the technical checks"),
    "catalog_version": ("チェックリスト版", "Catalog version"),
    "generated_at": ("作成日時", "Generated"),
    "decision": ("サービス開始判定", "Launch decision"),
    "decision_GO": ("開始可 (GO)", "GO"),
    "decision_CONDITIONAL": ("条件付き開始可 (CONDITIONAL)", "CONDITIONAL"),
    "decision_NO-GO": ("開始不可 (NO-GO)", "NO-GO"),
    "decision_none": ("未判定", "Not decided"),
    "reasons": ("判定理由", "Why"),
    "clause_open-risk": (
        "開始を妨げる水準以上の未対応リスク（{n}件）: 是正するか、例外措置の承認を得ること",
        "Open risks at or above the blocking level ({n}): fix them, or have an exception (例外措置) approved",
    ),
    "clause_no-treatment-plan": (
        "対応計画のないリスク（{n}件）: secaudit risk treat で対応計画を記録すること",
        "Risks without a treatment plan ({n}): record one with secaudit risk treat",
    ),
    "clause_treatment-plan": ("対応計画のもとで開始するリスク（{n}件）", "Risks launched under a treatment plan ({n})"),
    "no_reasons": ("判定方針のいずれの条項にも該当しませんでした。", "No clause of the gate policy applied."),
    "scores": ("スコア", "Scores"),
    "pass_rate": ("適合率", "Pass rate"),
    "pass_rate_after_waivers": ("適合率（例外措置考慮後）", "Pass rate after waivers"),
    "coverage": ("評価済みの割合", "Coverage"),
    "counts": ("評価結果の件数", "Results by status"),
    "applicable": ("適用管理策", "Applicable controls"),
    "assessed": ("評価済み", "Assessed"),
    "not_assessed_note": (
        "{n}件の管理策は回答待ち・未検証・エラーのため評価できていません。これらは適合率の分母に含まれていません。",
        "{n} controls could not be assessed (awaiting answers, not scanned or errored); "
        "they are not in the pass rate's denominator.",
    ),
    "chart_matrix": ("リスクマトリクス（未対応リスクの分布）", "Risk matrix (open risks)"),
    "chart_domains": ("分野別の評価結果", "Results per domain"),
    "chart_trend": ("適合率の推移", "Pass rate over time"),
    "likelihood": ("発生可能性", "Likelihood"),
    "impact": ("影響度", "Impact"),
    "likelihood_short": ("可能性", "L"),
    "impact_short": ("影響", "I"),
    "findings_none": (
        "今回の手続において、是正を求める指摘事項として記載するものはありません。",
        "The procedures performed gave rise to no finding that this report asks to be fixed.",
    ),
    "recommendations_none": ("改善提言として記載するものはありません。", "No recommendation is made."),
    "good_none": ("良好事項として記載するものはありません。", "No good practice is recorded."),
    "good_intro": (
        "根拠（回答、根拠資料または技術的検証）により適合が確認された管理策を分野ごとにまとめます。"
        "重要度が高以上のものは名称を記載します。",
        "Controls found to be met on evidence (answers, documents or technical verification), by section; "
        "those of high or critical severity are named.",
    ),
    "good_domain": ("分野", "Section"),
    "provenance": ("根拠の出所（以下の各行に共通）", "Where the evidence below comes from"),
    "good_met": ("適合 / 適用", "Met / applicable"),
    "good_notable": ("重要度が高以上の適合管理策", "High and critical controls met"),
    "limits_intro": (
        "次の管理策は、回答の不足、検査の未実施またはエラーにより検証できませんでした。"
        "適合とも不適合とも判断しておらず、リスク登録簿には含めていません。記載の対応ののち再評価してください。",
        "The controls below could not be verified: answers are missing, or checks did not run or failed to run. "
        "They are judged neither compliant nor non-compliant and are not in the risk register. "
        "Take the step given, then assess again.",
    ),
    "limits_none": (
        "検証できなかった管理策はありません。",
        "Every applicable control was verified.",
    ),
    "limit_why": ("検証できなかった理由", "Why it is unverified"),
    "limit_next": ("次に行うこと", "What to do next"),
    "next_awaiting_answer": (
        "所管課に未回答の質問への回答を依頼し、回答を取り込んだうえで再評価する。",
        "Ask the service owner to answer the open questions, import the answers and assess again.",
    ),
    "next_not_scanned": (
        "この検査を行うスキャンプロファイル（または検証対象の範囲）で再スキャンする。",
        "Scan again with a profile (or scope) that runs these checks.",
    ),
    "next_error": (
        "対象が稼働し到達できることを確認し、再スキャンする（回答のエラーは回答を訂正する）。",
        "Make sure the target is running and reachable, then scan again (for an answer error, correct the answer).",
    ),
    "register_none": ("リスク登録簿に登録されたリスクはありません。", "The risk register is empty."),
    "control": ("管理策", "Control"),
    "severity": ("重要度", "Severity"),
    "status": ("結果", "Result"),
    "risk_level": ("リスクレベル", "Risk level"),
    "inherent": ("固有", "Inherent"),
    "residual": ("残留", "Residual"),
    "evidence": ("根拠", "Evidence"),
    "remediation": ("是正の方法", "Remediation"),
    "rationale": ("理由", "Why it matters"),
    "reference": ("参照", "References"),
    "risk_id": ("リスクID", "Risk id"),
    "treatment": ("対応", "Treatment"),
    "risk_owner": ("責任者", "Owner"),
    "due": ("期限", "Due"),
    "risk_status": ("状態", "Status"),
    "approver": ("承認者", "Approver"),
    "expires": ("有効期限", "Expires"),
    "waived_badge": ("例外措置により受容", "Accepted as an exception"),
    "kind_answer": ("回答", "Answer"),
    "kind_observation": ("観測", "Observation"),
    "kind_review": ("レビュー", "Review"),
    "who": ("回答者", "Who"),
    "when": ("日時", "When"),
    "target": ("対象", "Target"),
    "baseline": ("基準", "Baseline"),
    "check": ("チェック", "Check"),
    "no_trail": ("根拠となる記録はありません。", "No evidence recorded."),
    "no_scan": ("技術的検証（スキャン）は実施されていません。", "No scan has been run."),
    "scan_run": ("スキャン実行", "Scan run"),
    "profile": ("プロファイル", "Profile"),
    "started": ("開始", "Started"),
    "finished": ("終了", "Finished"),
    "run_status": ("状態", "Status"),
    "versions": ("ツールの版", "Tool versions"),
    "imported_results": ("取り込んだ外部ツールの結果", "Results imported from outside tools"),
    "imported_note": (
        "次の結果は外部ツールの出力を取り込んだもので、"
        "該当する観測結果には「［ツール名 版 から取込］」と表示しています。",
        "These results were imported from outside tools' output; their observations are marked [imported from …].",
    ),
    "imported_tool": ("ツール", "Tool"),
    "imported_file": ("ファイル（SHA-256）", "File (SHA-256)"),
    "imported_scanned": ("走査日時", "Scanned"),
    "imported_by": ("取込日時・取込者", "Imported (when, by)"),
    "observations": ("観測結果", "Observations"),
    "drift": ("前回からの変化", "Drift since the previous run"),
    "drift_none": ("前回のスキャンからの変化はありません。", "Nothing changed since the previous scan."),
    "drift_short_none": ("変化なし", "no change"),
    "drift_unavailable": ("記録なし", "no data yet"),
    "drift_new": ("新規", "New"),
    "drift_resolved": ("解消", "Resolved"),
    "drift_changed": ("変化", "Changed"),
    "method_scores": (
        "適合率は、適用される管理策のうち評価できたもの（適合・不適合・一部適合）に占める適合の割合です。"
        "回答待ち・未検証・エラーの管理策は分母から除き、その件数を別に示します。"
        "例外措置考慮後の適合率は、例外措置により受容された管理策を適合と同様に数えた値です。",
        "The pass rate is the share of passes among the applicable controls that could be assessed "
        "(pass, fail, partial). Controls awaiting answers, not scanned or in error are left out of the "
        "denominator and counted separately. The pass rate after waivers counts controls accepted as "
        "exceptions like passes.",
    ),
    "method_risk": (
        "リスクレベルは影響度と発生可能性の組合せで決まります。発生可能性は弱点の重大度（不適合となった検査または"
        "管理策の重要度。一部適合は1段階下げる）を基に、インターネットへの公開による露出で最大1段階上げて算定します。"
        "影響度は、管理策が保護する観点（機密性・完全性・可用性のいずれか）についてのサービスの分類と、管理策の重要度"
        "から算定します。機密性3A・3Bは令和4年版の機密性3と同じ影響度、3Cはその一段下です。"
        "各リスクの算定根拠はリスク一覧に記載しています。下表は本報告書で用いた{size}のマトリクスです。",
        "The risk level combines impact and likelihood. Likelihood starts from the weakness (the severity of the "
        "failing check or control, one step lower for a partial result) and rises by at most one step when the "
        "service is reachable from the Internet. Impact follows the service's classification in the dimension the "
        "control protects (confidentiality, integrity or availability) and the control's severity; confidentiality "
        "3A and 3B carry the impact of the 令和4年版's confidentiality 3, 3C one step less. Each risk's rating is "
        "explained in the risk list. The table shows the {size} matrix used here.",
    ),
    "method_status": (
        "各管理策の結果は、質問票の回答（ヒアリング・文書の閲覧）と技術的検証の観測から判定しました。"
        "エラーとなった検証は適合とも不適合とも扱いません。",
        "Each control's result was judged from questionnaire answers (interview, document review) and "
        "scan observations. An errored check counts neither as a pass nor as a fail.",
    ),
    "history_one": ("評価は今回が初回です。", "This is the first assessment."),
    "answered": ("回答状況", "Questionnaire"),
    "open_risks": ("未対応リスク", "Open risks"),
    "last_scan": ("最終スキャン", "Last scan"),
    "never": ("未実施", "never"),
    "days_left": ("あと{n}日", "in {n} days"),
    "days_past": ("{n}日経過", "{n} days ago"),
    "score": ("適合率", "Score"),
    "services_count": ("{n}サービス", "{n} services"),
    "attention": ("要対応", "Needs attention"),
    "not_assessed": ("未評価", "Not assessed"),
    "questionnaire_due": ("回答期限", "Answers due"),
    "overdue": ("期限超過", "Overdue"),
    "latest_report": ("最新の報告書", "Latest report"),
    "reasons_all": ("判定理由（全{n}件）", "All {n} reasons"),
    "filter_all": ("すべて", "All"),
    "search": ("検索", "Search"),
    "shown_count": ("{total}サービス中{shown}件を表示", "Showing {shown} of {total} services"),
    "sort_hint": (
        "列の見出しを押すと並べ替えます（もう一度押すと逆順）。",
        "Click a column heading to sort by it (again to reverse).",
    ),
    "page": ("ページ", "Page"),
    "signature": ("承認", "Approval"),
    "signature_ciso": ("最高情報セキュリティ責任者（CISO）", "Chief Information Security Officer (CISO)"),
    "signature_officer": ("情報セキュリティ担当", "Security officer"),
    "date": ("日付", "Date"),
    "yes": ("はい", "yes"),
    "no": ("いいえ", "no"),
}

SOURCE_TEXT: dict[str, tuple[str, str]] = {
    "workbook": ("質問票", "workbook"),
    "terminal": ("端末での回答", "terminal"),
    "file": ("回答ファイル", "answers file"),
    "portal": ("回答ポータル", "owners' portal"),
    "diagnosis": ("脆弱性診断報告書", "vulnerability diagnosis report"),
    ORGANISATION_ID: ("全庁共通の回答（{source}）", "inherited from the organisation ({source})"),
    "scan": ("スキャン", "scan run"),
}

FORBIDDEN_ASSURANCE = (
    "問題は認められなかった",
    "問題は認められません",
    "問題はありません",
    "no significant issues",
    "no issues were found",
    "is secure",
    "no deficiencies",
    "fully compliant",
)
"""Assurance wording an advisory report must never use (tests scan every output for it)."""


def _pick(pair: tuple[str, str], lang: Language) -> Markup:
    # Our own fixed wording: escaped once here, then trusted by every template (HTML and Markdown).
    return escape(pair[1] if lang is Language.EN else pair[0])


class Wording:
    """The fixed texts in one language: ``w.report_title``, ``w.status('fail')``, ..."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang

    def __getattr__(self, key: str) -> str:
        try:
            return _pick(_TEXT[key], self.lang)
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> str:
        return _pick(_TEXT[key], self.lang)

    def fmt(self, key: str, **values: object) -> str:
        """A text with ``{placeholders}`` filled in (the values are escaped)."""
        return _pick(_TEXT[key], self.lang).format(**values)

    def attribute(self, key: str, value: object) -> Markup:
        """One service attribute as 'name: value', both in words (the names and values of model.condition)."""
        ja_name, en_name = FACT_LABELS.get(key, (key, key))
        if self.lang is Language.EN:
            return escape(f"{en_name[:1].upper()}{en_name[1:]}: {value_en(value)}")
        return escape(f"{ja_name}: {value_ja(value)}")

    def framework_name(self, value: str) -> str:
        """A cited document by the name a reader knows it."""
        return name_of(FRAMEWORK_TEXT, value, self.lang)

    def verdict_name(self, value: str) -> str:
        """The verdict of one piece of evidence (an answer, a check on a target, a review)."""
        words = TRAIL_VERDICT_TEXT.get(value) or VERDICT_TEXT.get(value) or STATUS_TEXT.get(value)
        return _pick(words or (value, value), self.lang)

    def source_name(self, kind: str) -> str:
        """Where evidence came from: a workbook, the terminal, an answers file, the portal, a scan run."""
        pair = SOURCE_TEXT.get(kind)
        return _pick(pair, self.lang) if pair else ""

    def inherited_from(self, source: str) -> str:
        """A city-wide answer a service inherits, with where it was given, as plain text for a template to
        escape: 全庁共通の回答（質問票 city.xlsx …）."""
        ja, en = SOURCE_TEXT[ORGANISATION_ID]
        return (en if self.lang is Language.EN else ja).format(source=source)

    def status_name(self, value: str) -> str:
        """The name of a result status."""
        return _pick(STATUS_TEXT.get(value, (value, value)), self.lang)

    def severity_name(self, value: str) -> str:
        """The name of a severity."""
        return _pick(SEVERITY_TEXT.get(value, (value, value)), self.lang)

    def domain_name(self, value: str) -> str:
        """The name of a MIC guideline section."""
        return _pick(DOMAIN_TEXT.get(value, (value, value)), self.lang)

    def clause(self, clause: str, n: int) -> str | None:
        """The heading of one gate clause's group of reasons, or None for a clause without one."""
        pair = _TEXT.get(f"clause_{clause}")
        return _pick(pair, self.lang).format(n=n) if pair else None

    def treatment_name(self, value: str) -> str:
        """The name of a treatment."""
        return _pick(TREATMENT_TEXT.get(value, (value, value)), self.lang)

    def risk_status_name(self, value: str) -> str:
        """The name of a risk status."""
        return _pick(RISK_STATUS_TEXT.get(value, (value, value)), self.lang)

    def run_status_name(self, value: str) -> str:
        """How a scan run ended."""
        return _pick(RUN_STATUS_TEXT.get(value, (value, value)), self.lang)

    def level_name(self, value: str) -> str:
        """The name of a risk level (known levels are translated, others shown as given)."""
        return _pick(LEVEL_TEXT.get(value.lower(), (value, value)), self.lang)

    def decision_name(self, value: str | None) -> str:
        """The name of a launch decision."""
        return _pick(_TEXT.get(f"decision_{value}", _TEXT["decision_none"]), self.lang)
