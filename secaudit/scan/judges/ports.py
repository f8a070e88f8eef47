"""Judges over PortFacts: which ports are open and what they announce."""

from __future__ import annotations

import re

from pydantic import Field

from secaudit.model import PortFacts
from secaudit.scan.judges.base import (
    FAIL,
    NOT_RUN,
    PASS,
    Assertion,
    NoParameters,
    Parameters,
    Said,
    Verdict,
    both,
    listing,
)

VERSION_RE = re.compile(r"\d+\.\d+")


class PortList(Parameters):
    """A set of ports."""

    ports: list[int] = Field(min_length=1)


class ServiceNames(Parameters):
    """A set of nmap service names, and the ports they conventionally listen on."""

    services: list[str] = Field(min_length=1)
    ports: list[int] = Field(min_length=1)
    """Without version detection a service is known only by its port: these ports are always scanned."""


def named_ports(params: object) -> list[int]:
    """The ports a check's parameters name: the engine adds them to every scan, whatever the profile."""
    return list(params.ports) if isinstance(params, PortList | ServiceNames) else []


def _coverage(facts: PortFacts) -> Said:
    how = facts.scanned_from or "as listed"
    how_ja = facts.scanned_from_ja() or "指定のとおり"
    return Said(f"{facts.scanned_count} port(s) scanned ({how})", f"{facts.scanned_count}ポートを走査（{how_ja}）")


def only_expected_open(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when a scanned port is open that the target does not declare.

    Not run when only the declared ports were scanned: nothing outside them was looked at.
    """
    open_ports = facts.open_ports()
    unexpected = [p for p in open_ports if p not in facts.expected_ports]
    details = {"open": open_ports, "expected": facts.expected_ports, "unexpected": unexpected}
    if facts.scanned_count <= len([p for p in facts.expected_ports if facts.covers(p)]):
        return (
            NOT_RUN,
            Said(
                "not run: only the declared ports were scanned, so nothing outside them was looked at",
                "未実施: 申告されたポートだけを走査したため、それ以外は確認していません",
            ),
            details,
        )
    coverage = _coverage(facts)
    if unexpected:
        en, ja = _describe(facts, unexpected)
        return (
            FAIL,
            Said(f"undeclared open port(s): {en}; {coverage.en}", f"申告外の開いているポート: {ja}。{coverage.ja}"),
            details,
        )
    open_en, open_ja = both(open_ports)
    return (
        PASS,
        Said(
            f"open: {open_en or 'none'}; all declared; {coverage.en}",
            f"開いているポート: {open_ja or 'なし'}（すべて申告済み）。{coverage.ja}",
        ),
        details,
    )


def expected_open(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when a declared port is not open (the service is not reachable where it says)."""
    missing = [p for p in facts.expected_ports if p not in facts.open_ports()]
    details = {"expected": facts.expected_ports, "missing": missing}
    if not facts.expected_ports:
        return NOT_RUN, Said("not run: the target declares no ports", "未実施: 対象にポートの申告がありません"), details
    if missing:
        en, ja = both(missing)
        return FAIL, Said(f"declared port(s) not open: {en}", f"申告されたポートが開いていません: {ja}"), details
    en, ja = both(facts.expected_ports)
    return PASS, Said(f"declared port(s) open: {en}", f"申告されたポートは開いています: {ja}"), details


def ports_closed(facts: PortFacts, params: PortList) -> Verdict:
    """Fail when any listed port is open; not run when a listed port was not scanned."""
    unscanned = [p for p in params.ports if not facts.covers(p)]
    found = [p for p in params.ports if p in facts.open_ports()]
    details = {"listed": params.ports, "unscanned": unscanned, "open": found}
    if found:
        en, ja = _describe(facts, found)
        return FAIL, Said(f"open: {en}", f"開いています: {ja}"), details
    if unscanned:
        en, ja = both(unscanned)
        return (
            NOT_RUN,
            Said(
                f"not run: listed port(s) not in this scan's port set: {en}",
                f"未実施: 対象のポートが今回の走査範囲にありません: {ja}",
            ),
            details,
        )
    return (
        PASS,
        Said(
            f"closed: all {len(params.ports)} listed ports scanned, none open",
            f"閉じています: 対象の{len(params.ports)}ポートをすべて走査し、開いているものはありません",
        ),
        details,
    )


def services_absent(facts: PortFacts, params: ServiceNames) -> Verdict:
    """Fail when an open port runs (or, without version detection, is the usual port of) a listed service."""
    wanted = {s.lower() for s in params.services}
    found = [p for p in facts.ports if p.state == "open" and (p.service or "").lower() in wanted]
    details = {"found": [f"{p.port}/{p.service}" for p in found]}
    if found:
        en, ja = both([f"{p.port}/{p.service}" for p in found])
        return FAIL, Said("offered: " + en, "提供されています: " + ja), details
    unscanned = [p for p in params.ports if not facts.covers(p)]
    if unscanned:
        en, ja = both(unscanned)
        return (
            NOT_RUN,
            Said(
                f"not run: the usual port(s) of these services were not scanned: {en}",
                f"未実施: これらのサービスの標準ポートを走査していません: {ja}",
            ),
            details,
        )
    probed = "-sV" in facts.nmap_args
    how = "identified by probing" if probed else "identified by port number only (no version detection)"
    how_ja = "応答内容で識別" if probed else "ポート番号のみで識別（バージョン検出なし）"
    names_en, names_ja = both(sorted(wanted))
    coverage = _coverage(facts)
    return (
        PASS,
        Said(
            f"none of {names_en} on an open port; {how}; {coverage.en}",
            f"開いているポートに {names_ja} はありません（{how_ja}）。{coverage.ja}",
        ),
        details,
    )


def no_version_banner(facts: PortFacts, _params: NoParameters) -> Verdict:
    """Fail when an open port announces a product version; not run with neither -sV nor banners."""
    if "-sV" not in facts.nmap_args and not any(p.banner for p in facts.ports):
        return (
            NOT_RUN,
            Said(
                "not run: this profile neither detects versions nor grabs banners",
                "未実施: このプロファイルはバージョン検出もバナー取得も行いません",
            ),
            {},
        )
    leaks = []
    for port in facts.ports:
        if port.state != "open":
            continue
        text = " ".join(x for x in (port.product, port.version, port.banner) if x)
        if port.version or VERSION_RE.search(text):
            leaks.append(f"{port.port}: {text}")
    if leaks:
        return (
            FAIL,
            Said("version shown: " + listing(leaks, 4), "バージョンを表示: " + listing(leaks, 4, ja=True)),
            {"leaks": leaks},
        )
    how = "nmap version detection" if "-sV" in facts.nmap_args else "banners"
    how_ja = "nmapのバージョン検出" if "-sV" in facts.nmap_args else "バナー"
    if "--version-intensity" in facts.nmap_args:
        level = facts.nmap_args[facts.nmap_args.index("--version-intensity") + 1]
        how += f" (intensity {level})"
        how_ja += f"（強度 {level}）"
    return (
        PASS,
        Said(f"no open port announces a version ({how})", f"バージョンを表示する開いたポートはありません（{how_ja}）"),
        {},
    )


def _describe(facts: PortFacts, ports: list[int]) -> tuple[str, str]:
    names = {p.port: p.service for p in facts.ports}
    return both([f"{p}/tcp ({names[p]})" if names.get(p) else f"{p}/tcp" for p in ports])


ASSERTIONS: dict[str, Assertion[PortFacts]] = {
    "only_expected_open": Assertion(NoParameters, only_expected_open, "every open scanned port is declared"),
    "expected_open": Assertion(NoParameters, expected_open, "every declared port is open"),
    "ports_closed": Assertion(PortList, ports_closed, "none of `ports` is open"),
    "services_absent": Assertion(ServiceNames, services_absent, "no open port runs one of `services`"),
    "no_version_banner": Assertion(
        NoParameters, no_version_banner, "no open port shows a version (needs -sV or the banner script)"
    ),
}
