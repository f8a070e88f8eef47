"""Judges over HttpFacts: redirects, security headers, cookies, version leaks, methods, listings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from secaudit.model import HttpFacts
from secaudit.scan.judges.base import (
    ERROR,
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

VERSION_RE = re.compile(r"\d+\.\d+|/\s*\d")
MAX_AGE_RE = re.compile(r"max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)


class Header(Parameters):
    """One header name."""

    header: str = Field(min_length=1, max_length=100)


class HeaderValue(Parameters):
    """A header and the value it must have (case-insensitive)."""

    header: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1)


class HeaderValues(Parameters):
    """A header and the values it may have (case-insensitive)."""

    header: str = Field(min_length=1, max_length=100)
    values: list[str] = Field(min_length=1)


class Headers(Parameters):
    """A list of header names."""

    headers: list[str] = Field(min_length=1)


class Methods(Parameters):
    """HTTP methods."""

    methods: list[str] = Field(min_length=1)


class HstsPolicy(Parameters):
    """The minimum HSTS max-age, and whether includeSubDomains is required."""

    min_age: int = Field(ge=0)
    include_subdomains: bool = False


class CookiePolicy(Parameters):
    """Which cookie attributes are required."""

    secure: bool = True
    httponly: bool = True
    samesite: bool = True


def https_redirect(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Pass when plain HTTP redirects to HTTPS or is not offered at all; error when asking failed."""
    en, ja = facts.https_redirect_note or "", facts.https_redirect_note_ja or facts.https_redirect_note or ""
    if facts.plain_http_offered is False:
        return PASS, Said(en or "no plaintext HTTP offered", ja or "平文のHTTPは提供されていません"), {}
    if facts.https_redirect is None:
        if facts.https_redirect_failed:
            return (
                ERROR,
                Said(en or "plain HTTP could not be asked", ja or "平文のHTTPに問い合わせできませんでした"),
                {},
            )
        return NOT_RUN, Said("not run: plain HTTP was not looked at", "未実施: 平文のHTTPを確認していません"), {}
    if facts.https_redirect:
        return PASS, Said(en or "redirects to https", ja or "HTTPSへ転送されます"), {}
    return (
        FAIL,
        Said(
            en or "plain HTTP is served without a redirect to https",
            ja or "平文のHTTPがHTTPSへ転送されずに提供されています",
        ),
        {},
    )


def hsts_min_age(facts: HttpFacts, params: HstsPolicy) -> Verdict:
    """Fail without an HTTPS response carrying Strict-Transport-Security of at least ``min_age``."""
    values = facts.header("Strict-Transport-Security")
    if facts.final_url is not None and facts.final_url.startswith("http://"):
        return (
            FAIL,
            Said("served over plain HTTP: no HSTS can apply", "平文のHTTPで提供されており、HSTSが効きません"),
            {},
        )
    if not values:
        return FAIL, Said("no Strict-Transport-Security header", "Strict-Transport-Securityヘッダがありません"), {}
    age = hsts_max_age(values[0])
    details = {"value": values[0], "max_age": age}
    if age is None:
        return (
            FAIL,
            Said(
                f"Strict-Transport-Security without max-age: {values[0]}",
                f"Strict-Transport-Securityにmax-ageがありません: {values[0]}",
            ),
            details,
        )
    if age < params.min_age:
        return (
            FAIL,
            Said(f"max-age={age} (minimum {params.min_age})", f"max-age={age}（最低 {params.min_age}）"),
            details,
        )
    if params.include_subdomains and "includesubdomains" not in values[0].lower():
        return FAIL, Said("includeSubDomains missing", "includeSubDomainsがありません"), details
    return PASS, Said(f"Strict-Transport-Security: {values[0]}", f"Strict-Transport-Security: {values[0]}"), details


def header_present(facts: HttpFacts, params: Header) -> Verdict:
    """Fail when the header is absent or empty."""
    values = [v for v in facts.header(params.header) if v.strip()]
    if values:
        return PASS, _quoted(params.header, values[0]), {}
    return FAIL, _absent(params.header), {}


def header_equals(facts: HttpFacts, params: HeaderValue) -> Verdict:
    """Fail unless the header's value equals ``value`` (case-insensitive)."""
    values = facts.header(params.header)
    if not values:
        return FAIL, _absent(params.header), {}
    if _equals(values[0], params.value):
        return PASS, _quoted(params.header, values[0]), {}
    return (
        FAIL,
        Said(
            f"{params.header}: {values[0]} (expected {params.value})",
            f"{params.header}: {values[0]}（求める値は {params.value}）",
        ),
        {},
    )


def header_in(facts: HttpFacts, params: HeaderValues) -> Verdict:
    """Fail unless the header's effective (last) token is one of ``values``."""
    values = facts.header(params.header)
    if not values:
        return FAIL, _absent(params.header), {}
    tokens = [t.strip().lower() for v in values for t in v.split(",") if t.strip()]
    effective = tokens[-1] if tokens else ""
    if effective in {v.lower() for v in params.values}:
        return PASS, _quoted(params.header, effective), {}
    accepted_en, accepted_ja = both(params.values)
    return (
        FAIL,
        Said(
            f"{params.header}: {effective or '(empty)'} (accepted: {accepted_en})",
            f"{params.header}: {effective or '（空）'}（認める値: {accepted_ja}）",
        ),
        {},
    )


def frame_protection(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Pass with X-Frame-Options DENY/SAMEORIGIN or a CSP frame-ancestors directive."""
    for csp in facts.header("Content-Security-Policy"):
        for directive in csp.split(";"):
            if directive.strip().lower().startswith("frame-ancestors"):
                text = f"Content-Security-Policy {directive.strip()}"
                return PASS, Said(text, text), {}
    xfo = facts.header("X-Frame-Options")
    if xfo and xfo[0].strip().upper() in ("DENY", "SAMEORIGIN"):
        return PASS, _quoted("X-Frame-Options", xfo[0]), {}
    if xfo:
        return (
            FAIL,
            Said(
                f"X-Frame-Options: {xfo[0]} (expected DENY or SAMEORIGIN)",
                f"X-Frame-Options: {xfo[0]}（求める値は DENY または SAMEORIGIN）",
            ),
            {},
        )
    return (
        FAIL,
        Said(
            "neither X-Frame-Options nor CSP frame-ancestors",
            "X-Frame-OptionsもCSPのframe-ancestorsもありません",
        ),
        {},
    )


def cookies_flagged(facts: HttpFacts, params: CookiePolicy) -> Verdict:
    """Fail when a cookie lacks a required attribute (Secure, HttpOnly, SameSite)."""
    if not facts.cookies:
        return PASS, Said("no cookies set", "Cookieは設定されていません"), {}
    problems: list[str] = []
    problems_ja: list[str] = []
    for cookie in facts.cookies:
        missing = [
            flag
            for flag, required, present in (
                ("Secure", params.secure, cookie.secure),
                ("HttpOnly", params.httponly, cookie.httponly),
                ("SameSite", params.samesite, bool(cookie.samesite)),
            )
            if required and not present
        ]
        if cookie.samesite and cookie.samesite.lower() == "none" and not cookie.secure:
            missing.append("Secure (SameSite=None)")
        if missing:
            problems.append(f"{cookie.name} without {'/'.join(missing)}")
            problems_ja.append(f"{cookie.name}に{'・'.join(missing)}属性がありません")
    names = [c.name for c in facts.cookies]
    if problems:
        return (
            FAIL,
            Said(listing(problems, 4), listing(problems_ja, 4, ja=True)),
            {
                "cookies": names,
                "problems": problems,
            },
        )
    names_en, names_ja = both(names)
    return PASS, Said(f"flagged: {names_en}", f"必要な属性あり: {names_ja}"), {"cookies": names}


def no_version_headers(facts: HttpFacts, params: Headers) -> Verdict:
    """Fail when one of ``headers`` carries a version number."""
    leaks = [f"{h}: {v}" for h in params.headers for v in facts.header(h) if VERSION_RE.search(v)]
    if leaks:
        return FAIL, Said(listing(leaks, 4), "バージョンを表示: " + listing(leaks, 4, ja=True)), {"leaks": leaks}
    shown = [f"{h}: {v}" for h in params.headers for v in facts.header(h)]
    return (
        PASS,
        Said(
            f"no version shown ({listing(shown, 4) or 'headers absent'})",
            f"バージョンの表示なし（{listing(shown, 4, ja=True) or '該当ヘッダなし'}）",
        ),
        {},
    )


def trace_disabled(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Fail when TRACE is answered with success and echoes the request."""
    if facts.trace_enabled is None:
        return (
            ERROR,
            Said("not checked: the TRACE request failed", "未確認: TRACEリクエストが失敗しました"),
            {"notes": facts.notes},
        )
    if facts.trace_enabled:
        return FAIL, Said("TRACE is answered and echoes the request", "TRACEに応答し、リクエストを返しています"), {}
    return PASS, Said("TRACE refused", "TRACEは拒否されました"), {}


def methods_not_allowed(facts: HttpFacts, params: Methods) -> Verdict:
    """Fail when OPTIONS advertises one of ``methods`` in its Allow header; error when OPTIONS failed."""
    if facts.options_status is None:
        return (
            ERROR,
            Said("not checked: the OPTIONS request failed", "未確認: OPTIONSリクエストが失敗しました"),
            {"notes": facts.notes},
        )
    offered = [m for m in params.methods if m.upper() in facts.allowed_methods]
    if offered:
        offered_en, offered_ja = both(offered)
        return (
            FAIL,
            Said(f"Allow lists {offered_en}", f"Allowヘッダに {offered_ja}"),
            {"allowed": facts.allowed_methods},
        )
    allowed_en, allowed_ja = both(facts.allowed_methods)
    return (
        PASS,
        Said(f"Allow: {allowed_en or '(none advertised)'}", f"Allow: {allowed_ja or '（提示なし）'}"),
        {"allowed": facts.allowed_methods},
    )


def no_directory_listing(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Fail when the root answers with a directory listing."""
    if facts.directory_listing is None:
        return (
            ERROR,
            Said("not checked: the root could not be fetched", "未確認: ルートを取得できませんでした"),
            {"notes": facts.notes},
        )
    if facts.directory_listing:
        return FAIL, Said("the root shows a directory listing", "ルートでディレクトリ一覧が表示されます"), {}
    return PASS, Said("no directory listing at the root", "ルートでディレクトリ一覧は表示されません"), {}


UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'")
OPEN_SCRIPT_SOURCES = ("*", "http:", "https:", "data:", "blob:")
"""Script sources that let any site's (or any inline) script run: a CSP with them does not restrict scripts."""


def csp_restricts_scripts(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Fail without a Content-Security-Policy whose script sources (script-src, else default-src) exclude
    'unsafe-inline' (unless a nonce or hash makes browsers ignore it), 'unsafe-eval' and open sources."""
    policies = [v for v in facts.header("Content-Security-Policy") if v.strip()]
    if not policies:
        return FAIL, _absent("Content-Security-Policy"), {}
    directives: dict[str, list[str]] = {}
    for policy in policies:
        for directive in policy.split(";"):
            words = directive.strip().split()
            if words:
                directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    name = "script-src" if "script-src" in directives else "default-src" if "default-src" in directives else None
    details: dict[str, object] = {"policy": policies[0][:500]}
    if name is None:
        return (
            FAIL,
            Said(
                "Content-Security-Policy without script-src or default-src: scripts are not restricted",
                "Content-Security-Policyにscript-srcもdefault-srcもなく、スクリプトが制限されていません",
            ),
            details,
        )
    sources = directives[name]
    nonce_or_hash = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in sources)
    weak = [s for s in sources if s in OPEN_SCRIPT_SOURCES or s == "'unsafe-eval'"]
    if "'unsafe-inline'" in sources and not nonce_or_hash:
        weak.insert(0, "'unsafe-inline'")
    details["script_sources"] = sources
    if weak:
        return (
            FAIL,
            Said(
                f"{name} allows {', '.join(weak)}: scripts are not restricted",
                f"{name} が {', '.join(weak)} を許可しており、スクリプトが制限されていません",
            ),
            details,
        )
    return PASS, Said(f"{name} {' '.join(sources)}", f"{name} {' '.join(sources)}"), details


def headers_absent(facts: HttpFacts, params: Headers) -> Verdict:
    """Fail when any of ``headers`` is sent (whatever its value: the header itself names the product)."""
    sent = [f"{h}: {v}" for h in params.headers for v in facts.header(h)]
    if sent:
        return FAIL, Said("sent: " + listing(sent, 4), "送信しています: " + listing(sent, 4, ja=True)), {"sent": sent}
    en, ja = both(params.headers)
    return PASS, Said(f"none of {en} sent", f"{ja} のいずれも送信していません"), {}


EXPOSED_KIND_JA = {
    "git": "Gitのリポジトリ",
    "svn": "Subversionの作業コピー",
    "env": "環境設定ファイル",
    "ds_store": "macOSのフォルダ情報",
    "dump": "データベースのダンプ",
    "archive": "バックアップのアーカイブ",
}


def no_exposed_files(facts: HttpFacts, _params: NoParameters) -> Verdict:
    """Fail when a version-control, environment or backup file is served; not run when none was asked for."""
    found = facts.exposed_files
    details: dict[str, object] = {"checked": facts.exposure_checked, "errors": facts.exposure_errors}
    if found:
        paths = [f"{f.path} ({f.kind})" for f in found]
        paths_ja = [f"{f.path}（{EXPOSED_KIND_JA.get(f.kind, f.kind)}）" for f in found]
        return FAIL, Said("served: " + listing(paths, 6), "公開されています: " + listing(paths_ja, 6, ja=True)), details
    if not facts.exposure_checked:
        if facts.exposure_errors:
            return (
                ERROR,
                Said(f"not checked: {facts.exposure_errors[0]}", f"未確認: {facts.exposure_errors[0]}"),
                details,
            )
        return (
            NOT_RUN,
            Said(
                "not run: no file that must not be served was asked for",
                "未実施: 非公開とすべきファイルを確認していません",
            ),
            details,
        )
    if facts.exposure_errors:
        return (
            ERROR,
            Said(
                f"{len(facts.exposure_errors)} of the paths could not be asked: {facts.exposure_errors[0]}",
                f"{len(facts.exposure_errors)}件のパスを確認できませんでした: {facts.exposure_errors[0]}",
            ),
            details,
        )
    n = len(facts.exposure_checked)
    return (
        PASS,
        Said(
            f"none of {n} paths served ({listing(facts.exposure_checked, 4)})",
            f"確認した{n}件のパスはいずれも公開されていません（{listing(facts.exposure_checked, 4, ja=True)}）",
        ),
        details,
    )


def hsts_max_age(value: str) -> int | None:
    """The max-age of a Strict-Transport-Security value; None when it has none."""
    match = MAX_AGE_RE.search(value)
    return int(match.group(1)) if match else None


def hsts_weakened(was: str, now: str) -> bool:
    """Whether an HSTS value got weaker: a shorter or lost max-age, or includeSubDomains dropped."""
    before, after = hsts_max_age(was), hsts_max_age(now)
    lost_subdomains = "includesubdomains" in was.lower() and "includesubdomains" not in now.lower()
    return lost_subdomains or (before is not None and (after is None or after < before))


def _equals(value: str, expected: str) -> bool:
    return value.strip().lower() == expected.lower()


def _quoted(header: str, value: str) -> Said:
    return Said(f"{header}: {value}", f"{header}: {value}")


def _absent(header: str) -> Said:
    return Said(f"no {header} header", f"{header}ヘッダがありません")


ASSERTIONS: dict[str, Assertion[HttpFacts]] = {
    "https_redirect": Assertion(NoParameters, https_redirect, "plain HTTP redirects to https"),
    "hsts_min_age": Assertion(HstsPolicy, hsts_min_age, "HSTS max-age >= `min_age`"),
    "header_present": Assertion(Header, header_present, "`header` is present"),
    "header_equals": Assertion(HeaderValue, header_equals, "`header` equals `value`"),
    "header_in": Assertion(HeaderValues, header_in, "`header` is one of `values`"),
    "frame_protection": Assertion(NoParameters, frame_protection, "XFO DENY/SAMEORIGIN or CSP frame-ancestors"),
    "cookies_flagged": Assertion(CookiePolicy, cookies_flagged, "every cookie has the required attributes"),
    "no_version_headers": Assertion(Headers, no_version_headers, "none of `headers` shows a version"),
    "csp_restricts_scripts": Assertion(
        NoParameters, csp_restricts_scripts, "a CSP whose script sources are neither unsafe nor open"
    ),
    "headers_absent": Assertion(Headers, headers_absent, "none of `headers` is sent"),
    "no_exposed_files": Assertion(NoParameters, no_exposed_files, "no version-control, environment or backup file"),
    "trace_disabled": Assertion(NoParameters, trace_disabled, "TRACE is not answered with 2xx"),
    "methods_not_allowed": Assertion(Methods, methods_not_allowed, "OPTIONS does not list `methods`"),
    "no_directory_listing": Assertion(NoParameters, no_directory_listing, "the root is not a directory listing"),
}


WeakerRule = Callable[[str, str], bool]


@dataclass(frozen=True)
class RequiredHeader:
    """A response header the checks want sent, and the rules that tell a weaker value (none: cannot tell)."""

    name: str
    rules: tuple[WeakerRule, ...] = ()

    def weakened(self, was: str, now: str) -> bool | None:
        """Whether ``now`` is weaker than ``was`` by any rule; None where no rule can tell."""
        return any(rule(was, now) for rule in self.rules) if self.rules else None


def _lost_value(expected: str) -> WeakerRule:
    return lambda was, now: _equals(was, expected) and not _equals(now, expected)


REQUIRED_HEADERS: dict[str, Callable[[Any], tuple[RequiredHeader, ...]]] = {
    "hsts_min_age": lambda _params: (RequiredHeader("Strict-Transport-Security", (hsts_weakened,)),),
    "csp_restricts_scripts": lambda _params: (RequiredHeader("Content-Security-Policy"),),
    "header_equals": lambda params: (RequiredHeader(params.header, (_lost_value(params.value),)),),
    "frame_protection": lambda _params: (RequiredHeader("X-Frame-Options"), RequiredHeader("Content-Security-Policy")),
    "header_in": lambda params: (RequiredHeader(params.header),),
    "header_present": lambda params: (RequiredHeader(params.header),),
}
"""Per assertion, the headers a check of it requires: drift follows exactly these between runs."""
