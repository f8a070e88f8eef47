"""Service definitions: the file users write, slugs, targets, classification."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from pydantic import ValidationError

from secaudit.model import Confidentiality, Service

ISSUE_EXAMPLE = {
    "id": "kosodate-portal",
    "name": {"ja": "子育て支援オンライン申請", "en": "Child-care support online application"},
    "department": "こども部",
    "owner": {"name": "山田 花子", "email": "yamada@city.example.jp"},
    "security_officer": {"name": "佐藤 一郎", "email": "sato@city.example.jp"},
    "launch_date": "2027-04-01",
    "classification": {"confidentiality": "3B", "integrity": 2, "availability": 2},
    "attributes": {
        "internet_facing": True,
        "personal_data": True,
        "mynumber": False,
        "payment": True,
        "cloud": "saas",
        "outsourced": True,
        "network_tier": "internet",
    },
    "scope": {
        "authorized_by": "情報政策課長",
        "authorized_until": "2027-03-31",
        "targets": [
            {"host": "localhost", "addresses": ["127.0.0.1"], "ports": [8443]},
            {"url": "https://localhost:8443/"},
        ],
    },
    "schedule": "0 3 * * 1",
    "checklists": ["mic-baseline", "web-service"],
}


def with_change(path: list[str | int], value: object) -> dict:
    data = copy.deepcopy(ISSUE_EXAMPLE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def test_a_host_target_has_no_url_port() -> None:
    service = Service.model_validate(ISSUE_EXAMPLE)
    assert service.scope is not None
    host = next(t for t in service.scope.targets if t.url is None)
    with pytest.raises(ValueError, match="is a host, not a URL"):
        _ = host.url_port


def test_issue_example_validates() -> None:
    service = Service.model_validate(ISSUE_EXAMPLE)
    assert service.scope is not None
    assert service.scope.targets[1].url_port == 8443
    assert service.facts()["cloud"] == "saas"
    assert service.facts()["confidentiality"] is Confidentiality.THREE_B


@pytest.mark.parametrize(
    ("written", "level"),
    [("3A", "3A"), ("3b", "3B"), ("3C", "3C"), (2, "2"), ("2", "2"), (1, "1"), (3, "3")],
)
def test_confidentiality_is_a_level_written_as_a_number_or_text(written: object, level: str) -> None:
    service = Service.model_validate(with_change(["classification", "confidentiality"], written))
    assert service.classification.confidentiality is Confidentiality(level)
    assert service.model_dump(mode="json")["classification"]["confidentiality"] == level


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["id"], "../etc", "id"),
        (["id"], "Kosodate", "id"),
        (["id"], "a" * 64, "id"),
        (["classification", "confidentiality"], 4, "confidentiality"),
        (["classification", "confidentiality"], "3D", "confidentiality"),
        (["classification", "integrity"], 3, "integrity"),
        (["attributes", "cloud"], "onprem", "cloud"),
        (["attributes", "network_tier"], "dmz", "network_tier"),
        (["owner", "email"], "not-an-address", "email"),
        (["schedule"], "every monday", "schedule"),
        (["schedule"], "99 3 * * 1", "schedule"),
        (["scope", "targets", 0, "host"], "-iL /etc/passwd", "host"),
        (["scope", "targets", 0, "host"], "-oN/tmp/x", "host"),
        (["scope", "targets", 0, "host"], "host name", "host"),
        (["scope", "targets", 0, "host"], "10.0.0.0/33", "host"),
        (["scope", "targets", 0, "ports"], [0], "ports"),
        (["scope", "targets", 1, "url"], "ftp://localhost/", "url"),
        (["scope", "targets", 1, "url"], "https://user:pw@localhost/", "url"),
        (["scope", "targets", 1, "url"], "https://-oX/", "url"),
        (["checklists"], ["../../etc/passwd"], "checklists"),
        (["colour"], "blue", "colour"),
    ],
)
def test_invalid_fields_are_named(path: list[str | int], value: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Service.model_validate(with_change(path, value))
    locations = [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]
    assert any(field in loc for loc in locations), locations


def test_target_is_host_or_url_not_both() -> None:
    data = with_change(["scope", "targets", 0, "url"], "https://localhost/")
    with pytest.raises(ValidationError, match="either 'host' or 'url'"):
        Service.model_validate(data)


@pytest.mark.parametrize("host", ["localhost", "www.city.example.jp", "127.0.0.1", "::1", "192.0.2.0/24"])
def test_good_hosts(host: str) -> None:
    Service.model_validate(with_change(["scope", "targets", 0, "host"], host))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        # a YAML boolean or a float is never silently a number, text never silently a boolean
        (["classification", "confidentiality"], True, "not the boolean true"),
        (["classification", "confidentiality"], 3.0, "not the number 3.0"),
        (["classification", "integrity"], 2.0, "valid integer"),
        (["classification", "availability"], "2", "valid integer"),
        (["attributes", "internet_facing"], "yes", "valid boolean"),
        (["attributes", "personal_data"], 1, "valid boolean"),
        (["attributes", "payment"], "false", "valid boolean"),
        (["scope", "targets", 0, "ports"], [True], "valid integer"),
        (["scope", "targets", 0, "ports"], ["8443"], "valid integer"),
        (["scope", "targets", 0, "addresses"], [2130706433], "must be an IP address or CIDR, not the number"),
    ],
)
def test_wrong_types_are_not_coerced(path: list[str | int], value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service.model_validate(with_change(path, value))


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["launch_date"], 0, r"must be a date \(YYYY-MM-DD\), not the number 0"),
        (["launch_date"], dt.datetime(2027, 4, 1, 9, 0), "without a time"),
        (["launch_date"], "2027-02-30", "not a real date: 2027-02-30"),
        (["launch_date"], "next april", "must be a date"),
        (["scope", "authorized_until"], "2027-06-31", "not a real date: 2027-06-31"),
        (["scope", "authorized_until"], 1798675200, "must be a date"),
    ],
)
def test_dates_must_be_real_calendar_dates(path: list[str | int], value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service.model_validate(with_change(path, value))


def test_dates_as_yaml_gives_them_or_as_iso_text() -> None:
    native = Service.model_validate(with_change(["launch_date"], dt.date(2028, 2, 29)))
    text = Service.model_validate(with_change(["launch_date"], "2028-02-29"))
    assert native.launch_date == text.launch_date == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["scope", "targets", 0, "host"], "0.0.0.0", "unspecified"),
        (["scope", "targets", 0, "host"], "0.1.2.3", "unspecified"),
        (["scope", "targets", 0, "host"], "::", "unspecified"),
        (["scope", "targets", 0, "host"], "::ffff:0.0.0.0", "unspecified"),
        (["scope", "targets", 0, "host"], "255.255.255.255", "broadcast"),
        (["scope", "targets", 0, "host"], "224.0.0.1", "multicast"),
        (["scope", "targets", 0, "host"], "ff02::1", "multicast"),
        (["scope", "targets", 0, "host"], "239.0.0.0/8", "holds no host address: multicast"),
        (["scope", "targets", 0, "host"], "0", "shorthand form"),
        (["scope", "targets", 0, "host"], "127.1", "shorthand form"),
        (["scope", "targets", 0, "host"], "0x7f000001", "shorthand form"),
        (["scope", "targets", 0, "addresses"], ["127.0.0.1", "0.0.0.0"], "unspecified"),
        (["scope", "targets", 0, "addresses"], ["224.0.0.0/4"], "multicast"),
        (["scope", "targets", 1, "url"], "https://0.0.0.0:8443/", "unspecified"),
        (["scope", "targets", 1, "url"], "https://[::]/", "unspecified"),
        (["scope", "targets", 1, "url"], "http://255.255.255.255/", "broadcast"),
    ],
)
def test_addresses_that_no_host_has_are_refused(path: list[str | int], value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service.model_validate(with_change(path, value))


def test_loopback_and_networks_with_hosts_stay_allowed() -> None:
    service = Service.model_validate(
        with_change(
            ["scope", "targets"],
            [
                {"host": "::1", "addresses": ["::1"], "ports": [443]},
                {"host": "127.0.0.1", "addresses": ["127.0.0.0/8", "0.0.0.0/0"], "ports": [443]},
                {"url": "https://[::1]:8443/"},
            ],
        )
    )
    assert service.scope is not None and len(service.scope.targets) == 3


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["checklists"], ["mic-baseline", "web-service", "mic-baseline"], "'mic-baseline' is listed more than once"),
        (["scope", "targets", 0, "ports"], [8443, 443, 8443], "'8443' is listed more than once"),
        (["scope", "targets", 0, "addresses"], ["127.0.0.1", "127.0.0.1"], "'127.0.0.1' is listed more than once"),
        (
            ["scope", "targets"],
            [{"host": "localhost", "ports": [80]}, {"url": "https://localhost/"}, {"host": "LOCALHOST", "ports": [22]}],
            "targets\\[0\\] and targets\\[2\\] are both 'localhost'",
        ),
        (
            ["scope", "targets"],
            [{"url": "https://localhost:8443/"}, {"url": "https://localhost:8443/"}],
            "targets\\[0\\] and targets\\[1\\] are both 'https://localhost:8443/'",
        ),
    ],
)
def test_duplicates_are_named(path: list[str | int], value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service.model_validate(with_change(path, value))


@pytest.mark.parametrize("schedule", ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *", "0 0 31 11 *"])
def test_a_schedule_that_never_fires_is_refused(schedule: str) -> None:
    with pytest.raises(ValidationError, match="never fires"):
        Service.model_validate(with_change(["schedule"], schedule))


@pytest.mark.parametrize("schedule", ["0 0 29 2 *", "0 0 31 * *", "0 0 30 2 1", "*/5 * * * *", "0 3 * * 1"])
def test_a_schedule_that_fires_rarely_is_accepted(schedule: str) -> None:
    # 29 February comes every leap year; with a day of the week as well, cron fires on either
    assert Service.model_validate(with_change(["schedule"], schedule)).schedule == schedule
