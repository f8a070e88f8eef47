"""Statement of applicability: readable reasons for including or excluding a control."""

from __future__ import annotations

from pathlib import Path

from secaudit.catalog import load_catalog
from secaudit.inventory import load_service
from secaudit.model import Language, LocalizedText
from secaudit.model.classification import ClassificationScheme
from secaudit.model.condition import Condition, explain
from secaudit.model.labels import DOMAIN_TEXT
from secaudit.soa import statement_of_applicability
from secaudit.workspace import builtin_layer

R6 = ClassificationScheme.R6

REPO = Path(__file__).resolve().parent.parent
FACTS = {"internet_facing": False, "payment": False, "cloud": "none", "confidentiality": 2, "network_tier": "lgwan"}


def condition(data: dict[str, object]) -> Condition:
    return Condition.model_validate(data)


def test_no_condition_applies_to_every_service() -> None:
    reason = explain(None, FACTS)
    assert reason.en == "applies to every service" and reason.ja == "すべてのサービスに適用"


def test_exclusion_names_the_condition_and_the_service_value() -> None:
    reason = explain(condition({"attr": "internet_facing", "equals": True}), FACTS)
    assert reason.en == "excluded: requires internet_facing = true, but this service has internet_facing = false"
    assert reason.ja == (
        "適用外: 条件「インターネット公開がはい」を満たさない（このサービス: インターネット公開がいいえ）"
    )


def test_compound_all_is_explained_by_its_failing_part_only() -> None:
    cond = condition({"all": [{"attr": "confidentiality", "gte": 2}, {"attr": "cloud", "in": ["iaas", "saas"]}]})
    assert cond.deciding_part(FACTS).describe() == "cloud in [iaas, saas]"
    assert explain(cond, FACTS).en == "excluded: requires cloud in [iaas, saas], but this service has cloud = none"


def test_any_and_not_show_every_fact_involved() -> None:
    either = condition({"any": [{"attr": "payment", "equals": True}, {"attr": "internet_facing", "equals": True}]})
    assert explain(either, FACTS).en == (
        "excluded: requires (payment = true or internet_facing = true), "
        "but this service has payment = false, internet_facing = false"
    )
    negated = condition({"not": {"attr": "network_tier", "equals": "lgwan"}})
    assert (
        explain(negated, FACTS).en
        == "excluded: requires not network_tier = lgwan, but this service has network_tier = lgwan"
    )


def test_inclusion_names_the_condition_that_holds() -> None:
    reason = explain(condition({"attr": "network_tier", "in": ["lgwan", "mynumber"]}), FACTS)
    assert reason.en == "applies: network_tier in [lgwan, mynumber] holds (this service: network_tier = lgwan)"


def test_statement_covers_every_control_of_the_service_checklists() -> None:
    catalog = load_catalog([builtin_layer()])
    svc = load_service(REPO / "examples" / "services" / "zeimu-lgwan.yaml", catalog.checklists, R6)
    svc = svc.model_copy(update={"checklists": ["web-service", "online-payment"]})
    statement = statement_of_applicability(catalog, svc)
    assert len(statement.entries) == len(catalog.controls_of(["web-service", "online-payment"]))
    assert not any(e.applicable for e in statement.entries if e.checklist == "online-payment")
    assert [e.checklist for e in statement.entries][0] == "web-service"
    assert [e.checklist for e in statement.entries][-1] == "online-payment"
    data = statement.as_dict()
    assert data["summary"]["applicable"] + data["summary"]["not_applicable"] == data["summary"]["controls"]
    assert all(c["condition"] is None for c in data["controls"] if c["reason"]["en"] == "applies to every service")


def _soa_book(lang: str, title: LocalizedText | None = None):
    import io

    import openpyxl

    from secaudit.authoring.soa_book import soa_workbook

    catalog = load_catalog([builtin_layer()])
    if title is not None:
        catalog.controls["WEB-6.3-004"].title = title
    svc = load_service(REPO / "examples" / "services" / "kosodate-portal.yaml", catalog.checklists, R6)
    statement = statement_of_applicability(catalog, svc)
    return statement, openpyxl.load_workbook(io.BytesIO(soa_workbook(statement, Language(lang))))


def test_soa_workbook_protects_text_from_formula_injection() -> None:
    hostile = LocalizedText(ja='=HYPERLINK("http://evil")', en="+cmd|' /C calc'!A0")
    for lang, expected in (("ja", '\'=HYPERLINK("http://evil")'), ("en", "'+cmd|' /C calc'!A0")):
        _, book = _soa_book(lang, hostile)
        sheet = book.worksheets[1]
        rows = {r[1].value: r for r in sheet.iter_rows(min_row=2)}
        title = rows["WEB-6.3-004"][2]
        assert title.data_type == "s" and title.value == expected
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_soa_workbook_headers_follow_the_language() -> None:
    for lang, sheets, header, applies in (
        (
            "ja",
            ["概要", "適用宣言書"],
            ["節", "管理策ID", "管理策", "重要度", "適用", "理由", "チェックリスト"],
            "適用",
        ),
        (
            "en",
            ["Summary", "Statement"],
            ["Section", "Control", "Title", "Severity", "Applies", "Reason", "Checklist"],
            "yes",
        ),
    ):
        _, book = _soa_book(lang)
        assert book.sheetnames[:2] == sheets and book["_meta"].sheet_state == "hidden"
        sheet = book[sheets[1]]
        assert [c.value for c in sheet[1]] == header
        rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
        assert rows["ORG-1-001"][4] == applies


def test_soa_workbook_is_grouped_by_guideline_section_and_prints_one_page_wide() -> None:
    statement, book = _soa_book("ja")
    sheet = book.worksheets[1]
    headings, sections = [], []
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[1] is None:
            headings.append(row[0])
        else:
            sections.append((len(headings), row[0]))
    domains = sorted({e.control.domain for e in statement.entries}, key=lambda d: d.section)
    assert headings == [f"§{d.section} {DOMAIN_TEXT[d.value][0]}" for d in domains]
    assert headings[0] == "§1 組織体制"
    # each control sits under its own section's heading, in subsection order within it
    for group, section in sections:
        assert headings[group - 1].startswith(f"§{section.split('.')[0]} ")
    keys = [(g, tuple(int(n) for n in s.split("."))) for g, s in sections]
    assert keys == sorted(keys)
    assert len(sections) == len(statement.entries)
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"


def test_the_japanese_reasons_name_attributes_and_values_in_japanese() -> None:
    reason = explain(condition({"attr": "network_tier", "in": ["lgwan", "mynumber"]}), FACTS)
    assert reason.ja == (
        "適用: 条件「ネットワーク層がLGWAN接続系またはマイナンバー利用事務系」を満たす（このサービス: ネットワーク層がLGWAN接続系）"
    )
    both = condition({"all": [{"attr": "internet_facing", "equals": True}, {"attr": "confidentiality", "gte": 2}]})
    assert "（インターネット公開がはいかつ機密性が2以上）" in explain(both, {**FACTS, "internet_facing": True}).ja
    assert not any(ch.isascii() and ch.isalpha() for ch in explain(both, FACTS).ja)


def test_a_control_its_owner_answered_not_applicable_is_excluded_with_the_owners_reason() -> None:
    """該当しない with a reason: the statement shows the control as excluded by the answers, and why."""
    import datetime as dt

    from secaudit.assess import assess
    from secaudit.model import Answer, AnswerSource

    catalog = load_catalog([builtin_layer()])
    svc = load_service(REPO / "examples" / "services" / "kosodate-portal.yaml", catalog.checklists, R6)
    control = next(
        e.control
        for e in catalog.applicability(svc)
        if e.applicable
        and len(e.control.questions) == 1
        and not e.control.checks
        and "na" in {c.value for c in e.control.questions[0].allowed_choices()}
    )
    question = control.questions[0]
    answer = Answer(
        service_id=svc.id,
        control_id=control.id,
        question_id=question.id,
        value="na",
        comment="窓口でのみ受け付けており、該当する業務がない",
        answered_by="山田 花子",
        answered_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        source=AnswerSource.WORKBOOK,
    )
    results = assess(svc, catalog, {(control.id, question.id): answer}, observations=[], trail=False)
    statement = statement_of_applicability(catalog, svc, results)
    entry = next(e for e in statement.entries if e.control.id == control.id)
    assert not entry.applicable and entry.by_answer
    assert entry.reason.ja.startswith("所管課の回答により適用外") and "窓口でのみ受け付けており" in entry.reason.ja
    assert "excluded by the owner's answers" in entry.reason.en
    # controls the owner did not answer keep their conditions' reasons
    assert all(not e.by_answer for e in statement.entries if e.control.id != control.id)
