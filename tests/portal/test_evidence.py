"""Evidence files on the portal: uploaded with an answer, kept by content, downloaded only by those allowed,
refused when hostile, and lapsing on their valid-until date."""

from __future__ import annotations

import datetime as dt
import re
import stat
from pathlib import Path

import pytest

from secaudit import clock
from tests.portal.conftest import OWNER, SERVICE, PortalWorld

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REF = "XHUM-5.3-001/q1"


def _upload(
    world: PortalWorld, csrf: str, content: bytes, name: str, valid_until: str = "", value: str = "yes"
) -> object:
    data = {
        "csrf": csrf,
        "ref": REF,
        "section": "5",
        "value": value,
        "evidence": "",
        "comment": "",
        "valid_until": valid_until,
    }
    return world.client.post("/owner/answer", data=data, files={"file": (name, content, "application/octet-stream")})


def _records(world: PortalWorld) -> dict[str, object]:
    from secaudit.store.evidence import evidence_files_of

    return evidence_files_of(world.session.store(), [SERVICE]).get(SERVICE, {})


def _folder_files(world: PortalWorld) -> list[Path]:
    folder = world.root / ".secaudit" / "evidence"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _drafts(world: PortalWorld) -> dict[tuple[str, str], object]:
    from secaudit.store.drafts import drafts_of

    return {key: d.evidence for key, d in drafts_of(world.session.store(), SERVICE).items()}


def test_an_uploaded_file_is_the_answers_evidence_kept_by_hash_and_downloaded_as_an_attachment(
    world: PortalWorld,
) -> None:
    from secaudit.store.audit_log import entries

    csrf = world.open_owner()
    last_day = (clock.today() + dt.timedelta(days=365)).isoformat()
    assert _upload(world, csrf, PDF, "研修受講記録.pdf", last_day).status_code == 303
    [record] = _records(world).values()
    assert (record.name, record.media_type, record.owner) == ("研修受講記録.pdf", "application/pdf", OWNER)
    assert record.valid_until.isoformat() == last_day
    assert _drafts(world) == {("XHUM-5.3-001", "q1"): f"[{record.id}]"}
    [kept] = _folder_files(world)
    assert kept.name == record.sha256 and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert "evidence.upload" in [e.action for e in entries(world.session.store())]
    page = world.client.get("/owner/section/5")
    assert f'href="/evidence/{record.id}"' in page.text
    download = world.client.get(f"/evidence/{record.id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]
    assert download.headers["x-content-type-options"] == "nosniff"


def test_an_owner_cannot_download_another_services_file_and_a_stranger_cannot_download_any(world: PortalWorld) -> None:
    csrf = world.open_owner()
    _upload(world, csrf, PDF, "a.pdf")
    [record] = _records(world).values()
    world.client.cookies.clear()
    assert world.client.get(f"/evidence/{record.id}").status_code == 404
    world.open_owner("zeimu-lgwan")
    assert world.client.get(f"/evidence/{record.id}").status_code == 404
    assert world.client.get("/evidence/../../secaudit.db").status_code == 404
    assert world.client.get("/evidence/ev-000000000000").status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "status", "message"),
    [
        (
            b"<html><script>alert(1)</script></html>",
            "record.pdf",
            422,
            "この種類のファイルは受け付けていません",
        ),
        (b"MZ\x90\x00" + b"\x00" * 64, "setup.pdf", 422, "この種類のファイルは受け付けていません"),
        (b"", "empty.pdf", 422, "ファイルが空です"),
        (b"%PDF-" + b"0" * (20 * 1024 * 1024), "big.pdf", 422, "ファイルが大きすぎます"),
        (b"%PDF-" + b"0" * (22 * 1024 * 1024), "bigger.pdf", 413, "too large"),
    ],
)
def test_a_refused_file_stores_nothing(
    world: PortalWorld, content: bytes, name: str, status: int, message: str
) -> None:
    csrf = world.open_owner()
    response = _upload(world, csrf, content, name)
    assert response.status_code == status
    assert message in response.text
    assert _records(world) == {} and _folder_files(world) == [] and _drafts(world) == {}


def test_hostile_file_names_are_kept_as_plain_names_and_shown_escaped(world: PortalWorld) -> None:
    csrf = world.open_owner()
    assert _upload(world, csrf, PDF, "../../../etc/passwd.pdf").status_code == 303
    assert _upload(world, csrf, PDF, "<img src=x onerror=alert(1)>.pdf").status_code == 303
    names = sorted(r.name for r in _records(world).values())
    assert names == ["<img src=x onerror=alert(1)>.pdf", "passwd.pdf"]
    assert len(_folder_files(world)) == 1  # the same content is kept once
    page = world.client.get("/owner/section/5").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.pdf" in page


def test_a_file_is_not_kept_when_its_answer_is_refused(world: PortalWorld) -> None:
    csrf = world.open_owner()
    response = _upload(world, csrf, PDF, "a.pdf", value="maybe")
    assert response.status_code == 422
    assert _records(world) == {} and _drafts(world) == {}
    past = _upload(world, csrf, PDF, "a.pdf", (clock.today() - dt.timedelta(days=1)).isoformat())
    assert past.status_code == 422 and "過ぎています" in past.text
    assert _records(world) == {}


def test_an_evidence_id_that_is_not_this_services_is_refused(world: PortalWorld) -> None:
    csrf = world.open_owner()
    data = {"csrf": csrf, "ref": REF, "section": "5", "value": "yes", "evidence": "資料 [ev-0123456789ab]"}
    response = world.client.post("/owner/answer", data=data)
    assert response.status_code == 422
    assert "根拠資料 ev-0123456789ab はこのサービスに登録されていません" in response.text


def test_when_its_evidence_expires_the_control_awaits_an_answer_again(
    world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secaudit.pipeline.evaluation import evaluate_service

    csrf = world.open_owner()
    last_day = clock.today() + dt.timedelta(days=5)
    assert _upload(world, csrf, PDF, "手順書.pdf", last_day.isoformat()).status_code == 303
    data = {"csrf": csrf, "ref": "XHUM-5.3-001/q2", "section": "5", "value": "done", "evidence": "訓練記録"}
    assert world.client.post("/owner/answer", data=data).status_code == 303
    assert world.client.post("/owner/submit", data={"csrf": csrf}).status_code == 200
    now = evaluate_service(world.session, SERVICE).result("XHUM-5.3-001")
    assert now.status.value == "pass"
    later = clock.now() + dt.timedelta(days=7)
    monkeypatch.setenv(clock.NOW_ENV, later.isoformat())
    lapsed = evaluate_service(world.session, SERVICE).result("XHUM-5.3-001")
    assert lapsed.status.value == "awaiting_answer"
    assert re.search(
        r"根拠資料の有効期限切れ（q1）: ev-[0-9a-f]{12} 手順書\.pdf の有効期限は " + str(last_day), lapsed.reason_ja
    )
    assert "evidence expired (q1)" in lapsed.reason
