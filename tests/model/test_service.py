"""Service definitions: the file users write, slugs, targets, classification."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from secaudit.model import Service

ISSUE_EXAMPLE = {
    "id": "kosodate-portal",
    "name": {"ja": "子育て支援オンライン申請", "en": "Child-care support online application"},
    "department": "こども部",
    "owner": {"name": "山田 花子", "email": "yamada@city.example.jp"},
    "security_officer": {"name": "佐藤 一郎", "email": "sato@city.example.jp"},
    "launch_date": "2027-04-01",
    "classification": {"confidentiality": 3, "integrity": 2, "availability": 2},
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


def test_issue_example_validates() -> None:
    service = Service.model_validate(ISSUE_EXAMPLE)
    assert service.scope is not None
    assert service.scope.targets[1].url_port == 8443
    assert service.facts()["cloud"] == "saas"
    assert service.facts()["confidentiality"] == 3


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["id"], "../etc", "id"),
        (["id"], "Kosodate", "id"),
        (["id"], "a" * 64, "id"),
        (["classification", "confidentiality"], 4, "confidentiality"),
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
