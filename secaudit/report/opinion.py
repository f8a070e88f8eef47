"""The audit opinion (意見), written from the results in advisory wording.

An advisory audit (助言型監査) says what its procedures found and what it
recommends; it never states that a service has no problems. Every sentence is
generated from counts in the view, so the opinion cannot drift from the
findings it summarises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from secaudit.model import DecisionKind, Language, ResultStatus

if TYPE_CHECKING:
    from secaudit.report.view import ReportView


def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _count(view: ReportView, status: ResultStatus) -> int:
    return sum(1 for r in view.data.results if r.status is status)


def opinion_paragraphs(view: ReportView) -> list[str]:
    """The paragraphs of the opinion section, in the view's language."""
    ja = view.lang is Language.JA
    data = view.data
    applicable = data.scores.overall.applicable
    decision = data.decision.decision
    serious = sum(1 for f in view.findings if not f.waived and f.risk is not None and f.risk.level_rank >= 3)
    must_fix = [f for f in view.findings if not f.waived]
    waived = [f for f in view.findings if f.waived]
    launch = data.service.launch_date.isoformat() if data.service.launch_date else None
    out: list[str] = []
    if ja:
        out.append(
            f"{view.organisation}の「{view.service_name}」について、適用される{applicable}件の管理策を対象に、"
            "質問票による回答の確認、根拠資料の閲覧及び技術的検証を行いました。以下の意見は、これらの手続の範囲で"
            "得られた情報に基づく助言です。"
        )
        out.append(f"判定方針に照らしたサービス開始判定は「{view.t.decision_name(decision.value)}」です。")
        if decision is DecisionKind.NO_GO:
            steps = "、".join(ja_step for _en, ja_step in _blocking_steps(view))
            out.append(
                f"サービスの開始を妨げている事項は次のとおりです: {steps}。"
                "これらが解消され、再評価で開始可または条件付き開始可となるまで、サービスの開始を見合わせることを推奨します。"
            )
        if must_fix:
            deadline = f"サービス開始予定日（{launch}）まで" if launch else "速やか"
            out.append(
                f"是正を要する指摘事項を{len(must_fix)}件記載しました（うちリスクレベルが高以上のもの{serious}件）。"
                f"{deadline}に是正し、その結果を情報セキュリティ担当に報告することを推奨します。"
            )
        else:
            out.append(
                "今回の手続において、是正を求める指摘事項として記載するものはありませんでした。"
                "ただし、手続は限られた範囲で実施したものであり、記載のない事項の適切性を保証するものではありません。"
            )
        if view.recommendations:
            out.append(f"改善提言を{len(view.recommendations)}件記載しました。計画的に対応することを推奨します。")
        if view.not_assessed:
            out.append(
                f"{view.not_assessed}件の管理策は評価を完了できませんでした（回答待ち"
                f"{_count(view, ResultStatus.AWAITING_ANSWER)}件、未検証{_count(view, ResultStatus.NOT_SCANNED)}件、"
                f"エラー{_count(view, ResultStatus.ERROR)}件）。回答の提出と検証の再実施により、"
                "判定の前提を確定させることを推奨します。"
            )
        if waived:
            out.append(
                f"{len(waived)}件は例外措置により受容されています。有効期限の到来時に改めて評価することを推奨します。"
            )
        if view.good_practice:
            out.append(
                f"{len(view.good_practice)}件の管理策は、根拠により適合が確認されました（分野ごとの概要は良好事項に記載）。"
            )
        return out
    out.append(
        f"We reviewed the {_n(applicable, 'control')} that apply to {view.service_name} ({view.organisation}) through "
        "questionnaire answers, the documents offered as evidence, and technical verification. The opinion below "
        "is advice based on what these procedures showed."
    )
    out.append(f"Against the gate policy, the launch decision is {view.t.decision_name(decision.value)}.")
    if decision is DecisionKind.NO_GO:
        steps = "; ".join(en_step for en_step, _ja in _blocking_steps(view))
        out.append(
            f"What stands in the way of the launch: {steps}. We recommend not launching the service until these "
            "are resolved and a new assessment gives GO or CONDITIONAL."
        )
    if must_fix:
        deadline = f"before the planned launch on {launch}" if launch else "promptly"
        out.append(
            f"This report records {_n(len(must_fix), 'finding')} that should be fixed ({serious} at risk level high or "
            f"above). We recommend fixing them {deadline} and reporting the outcome to the security officer."
        )
    else:
        out.append(
            "The procedures performed gave rise to no finding that this report asks to be fixed. They covered a "
            "limited scope and do not give assurance on matters not described here."
        )
    if view.recommendations:
        out.append(f"This report makes {_n(len(view.recommendations), 'recommendation')}; we advise planning the work.")
    if view.not_assessed:
        out.append(
            f"{_n(view.not_assessed, 'control')} could not be assessed ({_count(view, ResultStatus.AWAITING_ANSWER)} "
            f"awaiting answers, {_count(view, ResultStatus.NOT_SCANNED)} not scanned, "
            f"{_count(view, ResultStatus.ERROR)} in error). We recommend completing the answers and repeating the "
            "checks so that the decision rests on complete information."
        )
    if waived:
        out.append(
            f"{_n(len(waived), 'finding')} accepted as an exception (例外措置); we recommend reassessing "
            "each when its acceptance expires."
        )
    if view.good_practice:
        out.append(
            f"{_n(len(view.good_practice), 'control')} were found to be met on evidence (summarised by section "
            "under Good practice)."
        )
    return out


# What each NO-GO clause of the gate asks to be done, in a few words: (English, Japanese).
_CLAUSE_STEPS: dict[str, tuple[str, str]] = {
    "open-risk": (
        "{n} open risk(s) at or above the blocking level, each under Findings: fix them, or have an exception "
        "(例外措置) approved",
        "開始を妨げる水準以上の未対応リスク{n}件（指摘事項に記載）: 是正するか、例外措置の承認を得ること",
    ),
    "no-treatment-plan": (
        "{n} risk(s) without a treatment plan: record a plan",
        "対応計画のないリスク{n}件: 対応計画を記録すること",
    ),
    "answers": (
        "{n} control(s) awaiting required answers: the owner answers them",
        "必須質問が未回答の管理策{n}件: 所管課が回答すること",
    ),
    "scan-missing": ("no scan on record: run the scan", "スキャンの記録なし: スキャンを実施すること"),
    "scan-stale": ("the latest scan is too old: scan again", "最新のスキャンが古い: 再スキャンすること"),
    "scan-unreachable": (
        "no target answered the latest scan: bring the service up and scan again",
        "最新のスキャンで対象が応答しなかった: 稼働を確認し再スキャンすること",
    ),
    "scan-errors": (
        "checks errored in the latest scan: scan again",
        "最新のスキャンでエラーとなった検査がある: 再スキャンすること",
    ),
    "scan-not-run": (
        "checks the latest scan did not run: scan with a profile that runs them",
        "最新のスキャンで実施されなかった検査がある: それらを実施するプロファイルで再スキャンすること",
    ),
    "scan-incomplete": (
        "controls the latest scan did not verify: scan again",
        "スキャンで検証できていない管理策がある: 再スキャンすること",
    ),
}


def _blocking_steps(view: ReportView) -> list[tuple[str, str]]:
    """One (English, Japanese) step per NO-GO clause of the decision, in the gate's order."""
    counts: dict[str, int] = {}
    for reason in view.data.decision.reasons:
        if reason.decision is DecisionKind.NO_GO:
            counts[reason.clause] = counts.get(reason.clause, 0) + (
                len([r for r in reason.refs if r.startswith("R-")]) or len(reason.refs) or 1
            )
    steps = []
    for clause, n in counts.items():
        if clause in _CLAUSE_STEPS:
            en, ja = _CLAUSE_STEPS[clause]
            steps.append((en.format(n=n), ja.format(n=n)))
        else:  # a clause this wording does not know: the gate's own words
            reason = next(r for r in view.data.decision.reasons if r.clause == clause)
            steps.append((reason.message, reason.message_ja or reason.message))
    return steps
