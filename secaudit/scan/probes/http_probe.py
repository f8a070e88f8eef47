"""The HTTP probe: one URL's redirects, headers, cookies, methods and exposed files."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence

from secaudit.model import HttpFacts, ProbeKind, Profile, Target
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.facts import CookieInfo
from secaudit.scan.judges import headers_required_by, validate_checks
from secaudit.scan.probes.base import Change, Collected, DriftPolicy, ProbeContext
from secaudit.scan.scope import ApprovedTarget

COOKIE_FLAGS = ("secure", "httponly", "samesite")


class HttpProbe:
    """What a URL answers: redirects, security headers, cookies, methods, listings and exposed files."""

    kind = ProbeKind.HTTP
    facts_model = HttpFacts

    def plans_for(self, target: Target) -> bool:
        """Every URL target, http and https."""
        return target.url is not None

    def needs_nmap(self, profile: Profile) -> bool:
        """Never."""
        return False

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        """Visit the URL within the profile's deadline, following redirects only inside the scope."""
        # imported here: a ports-only run need not pay for httpx
        from secaudit.scan.probes import http

        return Collected([http.probe_http(approved, context.decision, context.profile.probe_timeout_s)])

    def error_facts(self, approved: ApprovedTarget, message: str) -> HttpFacts:
        """Facts of a URL that could not be visited."""
        return HttpFacts(
            target=approved.label, address=str(approved.preferred_address() or "unresolved"), error=message
        )

    def answered(self, facts: HttpFacts) -> bool:
        """Any facts without error."""
        return facts.error is None

    def pairing(self, facts: HttpFacts) -> Hashable:
        """One URL target."""
        return facts.target

    def changes(self, pairs: Sequence[tuple[HttpFacts, HttpFacts]], policy: DriftPolicy) -> Iterator[Change]:
        """Headers the checks require lost, regained or changed (weakened where a check's rule tells), and
        cookies that lost or regained a flag."""
        if not pairs:
            return
        checks = [c for c in policy.checks if c.probe is self.kind]
        headers = headers_required_by(checks, validate_checks(checks))
        for prev, new in pairs:
            target = new.target
            for header in headers:
                was = ", ".join(prev.header(header.name))
                now = ", ".join(new.header(header.name))
                key = header.name.lower()
                if was and not now:
                    yield Change(
                        DriftKind.HEADER_MISSING,
                        target,
                        key,
                        DriftState.NEW,
                        f"{header.name} is no longer sent by {target}",
                        was,
                        None,
                    )
                elif now and not was:
                    yield Change(
                        DriftKind.HEADER_MISSING,
                        target,
                        key,
                        DriftState.RESOLVED,
                        f"{header.name} is sent again by {target}",
                        None,
                        now,
                    )
                elif was != now:
                    weaker = header.weakened(was, now)
                    verb = "weakened" if weaker else "changed"
                    yield Change(
                        DriftKind.HEADER_VALUE,
                        target,
                        key,
                        DriftState.CHANGED,
                        f"{header.name} {verb} on {target}: {was!r} -> {now!r}",
                        was,
                        {"value": now, "weakened": weaker},
                    )
            yield from _cookie_changes(prev, new)


def _cookie_changes(prev: HttpFacts, new: HttpFacts) -> Iterator[Change]:
    target = new.target
    old_cookies = {c.name: c for c in prev.cookies}
    for cookie in new.cookies:
        was_cookie = old_cookies.get(cookie.name)
        if was_cookie is None:
            continue
        for flag in COOKIE_FLAGS:
            had, has = _flagged(was_cookie, flag), _flagged(cookie, flag)
            if had == has:
                continue
            before, after = getattr(was_cookie, flag), getattr(cookie, flag)
            key = f"{cookie.name}/{flag}"
            if had:
                message = f"cookie {cookie.name} on {target} lost its {flag} flag"
                yield Change(DriftKind.COOKIE_FLAG_MISSING, target, key, DriftState.NEW, message, before, after)
            else:
                message = f"cookie {cookie.name} on {target} has its {flag} flag again"
                yield Change(DriftKind.COOKIE_FLAG_MISSING, target, key, DriftState.RESOLVED, message, before, after)


def _flagged(cookie: CookieInfo, flag: str) -> bool:
    value = getattr(cookie, flag)
    return bool(value) and str(value).lower() != "none"
