"""Every fixed text of the portal's pages, in Japanese and English (one table, looked up by key)."""

from __future__ import annotations

from secaudit.model import Language

TEXT: dict[str, tuple[str, str]] = {
    "app": ("secaudit 回答ポータル", "secaudit owners' portal"),
    "landing": (
        "サービス所管課の方は、情報セキュリティ担当から届いた招待リンクを開いてください。",
        "Service owners: open the invitation link the security officer sent you.",
    ),
    "staff_sign_in": ("情報セキュリティ担当・監査人のサインイン", "Sign-in for security officers and auditors"),
    "refused_title": ("このリンクは使えません", "This link cannot be used"),
    "refused_body": (
        "リンクが誤っているか、期限が切れたか、取り消されました。情報セキュリティ担当に新しいリンクを依頼してください。",
        "The link is wrong, has expired or was revoked. Ask the security officer for a new one.",
    ),
    "service_unavailable": (
        "このサービスの質問票は現在開けません。情報セキュリティ担当に連絡してください。",
        "This service's questionnaire cannot be opened now. Please contact the security officer.",
    ),
    "signed_out": (
        "サインインしていないか、セッションが終了しました。",
        "You are not signed in, or your session ended.",
    ),
    "forbidden_title": ("この操作はできません", "Not allowed"),
    "csrf_refused": (
        "フォームの確認用トークンが一致しないため、送信を受け付けませんでした。ページを開き直してからもう一度送信してください。",
        "The form's check token did not match, so nothing was saved. Reload the page and send it again.",
    ),
    "not_found": ("ページが見つかりません", "Page not found"),
    "server_error": (
        "処理中に問題が発生しました。入力した内容は保存されていない可能性があります。時間をおいて再度お試しください。",
        "Something went wrong. What you entered may not have been saved; please try again later.",
    ),
    "service": ("サービス", "Service"),
    "answering_as": ("回答者", "Answering as"),
    "progress": ("進捗", "Progress"),
    "answered_of": ("{answered} / {questions} 問に回答済み", "{answered} of {questions} questions answered"),
    "required_missing": ("必須の未回答 {count} 問", "{count} required answers missing"),
    "drafts_waiting": ("未送信の回答 {count} 件", "{count} answers not yet submitted"),
    "sections": ("分野", "Sections"),
    "open_section": ("回答する", "Answer"),
    "question": ("質問", "Question"),
    "answer": ("回答", "Answer"),
    "evidence": ("根拠資料（文書名・保管場所など）", "Evidence (document name, where it is kept)"),
    "comment": ("補足", "Comment"),
    "file": (
        "根拠資料のファイル（PDF・画像・Office文書・テキスト、20 MiB まで）",
        "Evidence file (PDF, image, Office document, text; up to 20 MiB)",
    ),
    "valid_until": (
        "有効期限（例: 研修記録は受講日から1年）",
        "Valid until (e.g. a training record: one year after the training)",
    ),
    "files": ("登録済みの根拠資料", "Evidence files"),
    "no_expiry": ("期限なし", "no end date"),
    "expired": ("期限切れ", "expired"),
    "save": ("保存", "Save"),
    "saved": ("保存済み（未送信）", "Saved (not yet submitted)"),
    "on_record": ("回答済み", "On record"),
    "unanswered": ("未回答", "Not answered"),
    "not_saved": ("保存できませんでした", "Not saved"),
    "required": ("必須", "Required"),
    "submit": ("回答を送信する", "Submit the answers"),
    "submit_note": (
        "保存した回答をまとめて情報セキュリティ担当に送信します。送信後も回答を修正して再送信できます。",
        "Sends every saved answer to the security officer at once. You can correct and submit again later.",
    ),
    "submitted_title": ("回答を送信しました", "Answers submitted"),
    "submitted_body": ("{count} 件の回答を送信しました。", "{count} answers were submitted."),
    "submitted_missing": (
        "必須の質問のうち {count} 問がまだ回答されていません。",
        "{count} required questions are still unanswered.",
    ),
    "nothing_to_submit": ("送信する回答がありません。", "There are no saved answers to submit."),
    "back": ("質問票に戻る", "Back to the questionnaire"),
    "sign_out": ("サインアウト", "Sign out"),
    "account": ("アカウント名", "Account"),
    "password": ("パスワード", "Password"),
    "sign_in": ("サインイン", "Sign in"),
    "sign_in_failed": ("アカウント名またはパスワードが違います。", "Wrong account name or password."),
    "sign_in_throttled": (
        "サインインの失敗が続いたため、しばらく受け付けません。15分ほどおいて再度お試しください。",
        "Too many failed sign-ins: try again in about 15 minutes.",
    ),
    "services": ("サービスの回答状況", "Questionnaire status of the services"),
    "department": ("所管課", "Department"),
    "applicable": ("対象の質問", "Questions"),
    "answered": ("回答済み", "Answered"),
    "missing": ("必須の未回答", "Required missing"),
    "last_submission": ("最後の提出", "Last submission"),
    "due": ("期限", "Due"),
    "state": ("状態", "State"),
    "state_complete": ("回答完了", "Complete"),
    "state_overdue": ("期限超過", "Overdue"),
    "state_open": ("回答中", "In progress"),
    "state_not_started": ("未着手", "Not started"),
    "answers_of": ("{service} の回答", "Answers of {service}"),
    "answered_by": ("回答者", "Answered by"),
    "channel": ("経路", "Channel"),
    "no_answers": ("回答はまだありません。", "No answers yet."),
    "read_only": ("監査人の権限では閲覧のみできます。", "Auditors may only read."),
    "controls": ("管理策の評価結果", "Results of the controls"),
    "control": ("管理策", "Control"),
    "result": ("結果", "Result"),
    "reason": ("理由", "Reason"),
    "reviewed": ("確認済み", "Reviewed"),
    "review": ("確認・変更", "Confirm or override"),
    "review_note": ("理由（必須）", "Why (required)"),
    "review_save": ("記録する", "Record"),
    "answers": ("回答", "Answers"),
    "returned_title": ("差し戻された質問", "Questions sent back to you"),
    "returned_by_officer": ("情報セキュリティ担当からのコメント", "The security officer's comment"),
    "send_back": ("差し戻す", "Send back"),
    "send_back_comment": ("所管課へのコメント（必須）", "Comment for the owner (required)"),
}


def text(key: str, lang: Language | str) -> str:
    """The fixed text ``key`` in ``lang``."""
    ja, en = TEXT[key]
    return en if str(lang) == Language.EN.value else ja
