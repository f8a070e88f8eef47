"""The workspace configuration model: time zone, strict values, duplicates."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from secaudit.errors import WorkspaceError
from secaudit.model import WorkspaceConfig
from secaudit.workspace import load_config

ORGANISATION = {"ja": "テスト市", "en": "Test City"}


def config(**fields: object) -> WorkspaceConfig:
    return WorkspaceConfig.model_validate({"organisation": ORGANISATION, **fields})


@pytest.mark.parametrize("name", ["Asia/Tokio", "Mars/Olympus_Mons", "Asia", "../../etc/passwd", "/etc/localtime", ""])
def test_an_unknown_time_zone_is_refused_with_one_message(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        config(timezone=name)
    [error] = info.value.errors()
    assert error["loc"] == ("timezone",)
    if name:
        assert f"unknown time zone '{name}' (an IANA name such as Asia/Tokyo)" in error["msg"]


def test_a_known_time_zone_is_the_zone_of_the_workspace() -> None:
    assert config().zone == ZoneInfo("Asia/Tokyo")
    assert config(timezone="Europe/Berlin").zone == ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"gate": {"max_scan_age_days": True}}, "valid integer"),
        ({"gate": {"max_scan_age_days": "30"}}, "valid integer"),
        ({"gate": {"require_scan": "no"}}, "valid boolean"),
        ({"gate": {"require_answers": 0}}, "valid boolean"),
        ({"scan": {"batch_concurrency": 2.5}}, "valid integer"),
        ({"scan": {"denylist": [167772160]}}, "must be an IP address or CIDR, not the number"),
        ({"notifications": {"repeat_errors_after_hours": False}}, "valid integer"),
        ({"notifications": {"smtp": {"host": "smtp", "sender": "a@b.jp", "timeout_s": "20"}}}, "valid number"),
        ({"notifications": {"smtp": {"host": "smtp", "sender": "a@b.jp", "starttls": "off"}}}, "valid boolean"),
    ],
)
def test_wrong_types_are_not_coerced(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        config(**fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"notifications": {"recipients": ["a@city.jp", "b@city.jp", "a@city.jp"]}}, "'a@city.jp' is listed more"),
        ({"scan": {"denylist": ["10.0.0.0/8", "10.0.0.0/8"]}}, "'10.0.0.0/8' is listed more than once"),
    ],
)
def test_duplicates_are_named(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        config(**fields)


def test_a_denylist_may_name_any_network() -> None:
    # never scanning multicast or 0.0.0.0/8 is a sensible policy, unlike declaring them as targets
    assert len(config(scan={"denylist": ["224.0.0.0/4", "0.0.0.0/8", "192.168.10.0/24"]}).scan.denylist) == 3


def test_an_unknown_time_zone_in_the_workspace_file_is_named_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "secaudit.yaml"
    path.write_text("organisation: {ja: テスト市, en: Test City}\ntimezone: Asia/Tokio\n", encoding="utf-8")
    with pytest.raises(WorkspaceError) as info:
        load_config(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:2: timezone: unknown time zone 'Asia/Tokio' (an IANA name such as Asia/Tokyo)"
    ]
