"""Questions a 所管課 can answer in Excel: one condition each, はい/Yes means compliant, ja and en alike (issue 16).

The patterns are deliberately narrow: each one names a defect found in the shipped checklists and fixed,
and the self-checks below show that it catches the old wording and leaves ordinary wording alone.
"""

from __future__ import annotations

import re

import pytest

from secaudit.catalog import Catalog, load_catalog
from secaudit.model.control import Question, QuestionType
from secaudit.workspace import builtin_layer

# A question sentence that asks in the negative: 「…していませんか」「…がないですか」「…ありませんか」.
# Only the end of a sentence counts: 「…がないかを確認していますか」 asks positively.
NEGATIVE_JA = re.compile(r"(ない|ません|ず)(のです|です|でしょう)?か[。？]?$")

# The same in English, within a question sentence (one that ends with "?").
NEGATIVE_EN = [
    re.compile(r"\b(isn't|aren't|don't|doesn't|didn't|hasn't|haven't|wasn't|weren't|won't)\b", re.I),
    re.compile(r"^(is|are|was|were) there no\b", re.I),
    re.compile(r"^(is|are|do|does|did|has|have|was|were|can)\b(?:(?!\"not applicable\")[^?])*\bnot\b", re.I),
    re.compile(r",? and no\b|\bnor\b", re.I),
]

# Two demands joined in one yes/no question. Choice questions may name two things, because their
# choices spell out every combination (「禁止・周知し、技術的にも制限している」/「…技術的な制限はない」).
COMPOUND_JA = [
    re.compile(r"(?<!適切)かつ"),  # 「…を定め、かつ…」; 「適切かつ確実に」 is one adverb
    re.compile(r"及び[^。]*を実施"),
    # 「AとBを定めていますか」 with a comma after と: two things to have settled
    re.compile(r"と、[^。]*(定め|決め)ていますか"),
    # a first demand in its 連用形, a comma, then a second demand: 「一覧にし、必要性を承認していますか」
    re.compile(
        r"(定め|文書化し|作成し|記録し|記録され|一覧にし|導入し|利用し|指名し|発行し|説明し|台帳で管理し|分離し"
        r"|分け|変更し|報告し|実施し|施錠され|設置され|受け取り|判断し|整理し)、[^。]*(ていますか|ましたか)"
    ),
]
COMPOUND_EN = [
    re.compile(r",? and (is|are|was|were|has|have|do|does|did)\b"),  # "…recorded, and is use checked…?"
    re.compile(r"\band (known|updated|corrected|published|approved|recorded)\b"),  # "documented and known to…"
]

# (control, question) -> why the wording is right although a pattern matches. Keep it short.
WHITELIST: dict[tuple[str, str], str] = {}

# What was fixed: each old wording must still be caught by the patterns above.
OLD_NEGATIVE_JA = [
    "Cookieには識別子のみを保存し、氏名・住所などの個人情報やパスワードを保存していませんか。",  # TEC-6.2-005/q2
    "管理画面に接続できる端末に制限がないですか。",
    "共用IDはありませんか。",
]
OLD_NEGATIVE_EN = [
    "Do cookies hold identifiers only, and no personal data such as names and addresses, nor passwords?",
    "Is there no shared account?",
    "Aren't the logs kept?",
    "Does the service not show stack traces?",
]
OLD_COMPOUND_JA = [
    "管理区域への入退室は記録され、定期的に確認されていますか。",  # PHY-4.2-001/q1
    "委託先の作業従事者の名簿を受け取り、サービスのアカウントと照合して、不要なアカウントを削除していますか。",
    "決済画面への遷移元の画面で読み込むスクリプトを一覧にし、必要性を承認していますか。",  # PAY-6.3-002/q1
    "管理画面のアカウントは職員ごとに発行し、多要素認証を必須にしていますか。",  # PAY-5.4-001/q1
    "サービスの目標復旧時間と、停止中の代替手段（窓口での受付など）を業務継続計画（ICT-BCP）に定めていますか。",
    "実施手順を定め、かつ年1回の点検を実施していますか。",
    "確認で見つかった問題を情報セキュリティ管理者に報告し、是正していますか。",  # OPS-7.2-001/q2
    "通信回線装置は施錠されたラックや部屋に設置され、配線は損傷や不正な接続から保護されていますか。",  # PHY-4.3-001/q1
]
OLD_COMPOUND_EN = [
    "Are the service's software licences recorded, and is use checked against the number held?",  # OPS-7.5-004/q1
    "Did the approval limit the service to confidentiality-1 information, and have the users been told?",
    "Is the procedure for reporting an incident, and to whom, documented and known to the staff involved?",
    "Is the configuration baseline (parameter sheets or similar) documented and updated with every change?",
]
# Wording that is fine and must stay unflagged.
GOOD_JA = [
    "個人情報の閲覧記録を定期的に抽出し、それぞれの閲覧に業務上の必要があったかを確認していますか。",
    "業務上の必要のない閲覧がないかを定期的に確認していますか。",
    "指定の際に、事業者が納付事務を適切かつ確実に遂行できることを確かめた記録がありますか。",
    "黒塗り部分が読み出せないことを、別の職員が公開前に確かめていますか。",
    "海外で行わない場合は「該当しない」を選んでください。",
]
GOOD_EN = [
    'For any development or maintenance abroad, does the contract require approval? Choose "not applicable" if none.',
    "Is there a way to detect access points that were never approved, such as regular wireless sweeps?",
    "Is each maintenance path enabled only for the approved job and its working hours, and disabled afterwards?",
    "Is the procedure for reporting an incident, and to whom, documented?",
]

# Questions the department cannot answer from its own records (secure-coding and build details).
ASK_THE_CONTRACTOR = {
    ("TEC-6.1-005", "q1"),
    ("TEC-6.1-005", "q3"),
    ("TEC-6.2-005", "q1"),
    ("TEC-6.2-005", "q2"),
    ("TEC-6.3-005", "q1"),
    ("TEC-6.5-004", "q1"),
    ("PAY-6.3-002", "q1"),
}


def ja_sentences(text: str) -> list[str]:
    return [s + "。" for s in text.split("。") if s.strip()]


def en_questions(text: str) -> list[str]:
    """The question sentences of ``text`` (those ending with "?"), each without what came before."""
    return [q.strip().rsplit(". ", 1)[-1] + "?" for q in text.split("?")[:-1]]


def negative_ja(text: str) -> bool:
    return any(NEGATIVE_JA.search(s) for s in ja_sentences(text))


def negative_en(text: str) -> bool:
    return any(p.search(q) for q in en_questions(text) for p in NEGATIVE_EN)


def compound_ja(text: str) -> bool:
    return any(p.search(s) for s in ja_sentences(text) for p in COMPOUND_JA)


def compound_en(text: str) -> bool:
    return any(p.search(q) for q in en_questions(text) for p in COMPOUND_EN)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([builtin_layer()])


def every_question(catalog: Catalog) -> list[tuple[str, Question]]:
    return [(c.id, q) for c in catalog.controls.values() for q in c.questions]


@pytest.mark.parametrize("text", OLD_NEGATIVE_JA)
def test_the_negative_pattern_catches_the_old_japanese_wording(text: str) -> None:
    assert negative_ja(text)


@pytest.mark.parametrize("text", OLD_NEGATIVE_EN)
def test_the_negative_pattern_catches_the_old_english_wording(text: str) -> None:
    assert negative_en(text)


@pytest.mark.parametrize("text", OLD_COMPOUND_JA)
def test_the_compound_pattern_catches_the_old_japanese_wording(text: str) -> None:
    assert compound_ja(text)


@pytest.mark.parametrize("text", OLD_COMPOUND_EN)
def test_the_compound_pattern_catches_the_old_english_wording(text: str) -> None:
    assert compound_en(text)


@pytest.mark.parametrize("text", GOOD_JA)
def test_ordinary_japanese_wording_is_not_flagged(text: str) -> None:
    assert not negative_ja(text) and not compound_ja(text)


@pytest.mark.parametrize("text", GOOD_EN)
def test_ordinary_english_wording_is_not_flagged(text: str) -> None:
    assert not negative_en(text) and not compound_en(text)


def test_no_question_asks_in_the_negative(catalog: Catalog) -> None:
    """はい/Yes must mean one thing: no 「…していませんか」, no "Is there no …?"."""
    found = [
        f"{cid}/{q.id}"
        for cid, q in every_question(catalog)
        if (cid, q.id) not in WHITELIST and (negative_ja(q.text.ja) or negative_en(q.text.en))
    ]
    assert not found, f"rephrase positively so that はい/Yes is the compliant answer: {found}"


def test_a_yes_no_question_asks_one_thing(catalog: Catalog) -> None:
    found = [
        f"{cid}/{q.id}"
        for cid, q in every_question(catalog)
        if q.type is QuestionType.YES_NO
        and (cid, q.id) not in WHITELIST
        and (compound_ja(q.text.ja) or compound_en(q.text.en))
    ]
    assert not found, f"split into one question per condition: {found}"


def test_yes_is_the_compliant_answer_of_every_yes_no_question(catalog: Catalog) -> None:
    for cid, q in every_question(catalog):
        if q.type is QuestionType.YES_NO:
            assert q.compliant == ["yes"] and "yes" not in q.non_compliant, f"{cid}/{q.id}"


def test_answer_instructions_say_the_same_in_both_languages(catalog: Catalog) -> None:
    """A sentence telling the owner which answer to pick appears in ja and en alike."""
    for cid, q in every_question(catalog):
        assert ("「該当しない」" in q.text.ja) == ("not applicable" in q.text.en), f"{cid}/{q.id}"
        assert ("「いいえ」" in q.text.ja) == ('"No"' in q.text.en), f"{cid}/{q.id}"


def test_whitelisted_questions_still_exist_and_say_why(catalog: Catalog) -> None:
    for (cid, qid), reason in WHITELIST.items():
        assert catalog.controls[cid].question(qid) is not None and reason.strip(), (cid, qid)


def test_secure_coding_questions_are_asked_of_the_contractor(catalog: Catalog) -> None:
    for cid, qid in sorted(ASK_THE_CONTRACTOR):
        question = catalog.controls[cid].question(qid)
        assert question is not None, (cid, qid)
        assert question.ask_contractor and question.requires_evidence, (cid, qid)


def test_split_questions_keep_their_follow_ups_consistent(catalog: Catalog) -> None:
    """After the splits, a follow-up hangs on the question whose answer it depends on."""
    expected = {
        ("PHY-4.2-001", "q2"): "q1",
        ("PHY-4.2-002", "q2"): "q3",  # the list of people allowed in belongs to the entry restriction
        ("HUM-5.3-001", "q2"): "q1",
        ("HUM-5.3-001", "q3"): "q1",
        ("TEC-6.1-005", "q4"): "q2",
        ("OPS-7.5-003", "q4"): "q1",
        ("OPS-7.5-004", "q2"): "q1",
        ("VEND-8.2-001", "q2"): "q1",
        ("TEC-6.5-001", "q2"): "q1",
        ("WEB-6.3-004", "q3"): "q2",
        ("PAY-6.5-001", "q3"): "q2",
        ("PAY-6.3-002", "q3"): "q1",
    }
    for (cid, qid), parent in expected.items():
        question = catalog.controls[cid].question(qid)
        assert question is not None and question.depends_on is not None, (cid, qid)
        assert question.depends_on.question == parent and question.depends_on.answer_in == ["yes"], (cid, qid)
