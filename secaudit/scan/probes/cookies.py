"""A tolerant Set-Cookie parser: every header gives a cookie, however odd its attributes.

The stdlib parser drops a whole header on one attribute it dislikes, which
would hide exactly the cookies a check should look at.
"""

from __future__ import annotations

from secaudit.model.facts import CookieInfo

MAX_RAW = 4096


def parse_set_cookie(raw: str) -> CookieInfo | None:
    """Parse one Set-Cookie value; None only when it has no name at all."""
    parts = raw.split(";")
    head = parts[0]
    name = head.split("=", 1)[0].strip() if "=" in head else head.strip()
    if not name:
        return None
    cookie = CookieInfo(name=name[:200], raw=raw[:MAX_RAW])
    for attribute in parts[1:]:
        key, _, value = attribute.partition("=")
        key = key.strip().lower()
        value = value.strip().strip('"')
        if key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.httponly = True
        elif key == "samesite":
            cookie.samesite = value.capitalize() if value else ""
        elif key == "path":
            cookie.path = value
        elif key == "domain":
            cookie.domain = value
    return cookie
