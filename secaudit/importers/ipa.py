"""Outside scanners' findings into IPA's web vulnerability classes (``secaudit.model.facts.IPA_WEB_CLASSES``).

One table, by CWE: ZAP and SARIF name their findings' CWE, and the class follows from it. A finding of
no listed CWE is ``other``: kept in the facts and shown, never counted for a class it may not belong to.
"""

from __future__ import annotations

import re

CWE_CLASSES: dict[int, str] = {
    **dict.fromkeys((89, 564, 943), "sqli"),
    **dict.fromkeys((77, 78), "os-command"),
    **dict.fromkeys((22, 23, 35, 36, 73), "path-traversal"),
    **dict.fromkeys((384, 613, 614, 1004, 1275, 315, 539, 565, 472, 598), "session"),
    **dict.fromkeys((79, 80, 83, 87), "xss"),
    **dict.fromkeys((352,), "csrf"),
    **dict.fromkeys((93, 113, 644), "http-header-injection"),
    **dict.fromkeys((1021,), "clickjacking"),
    **dict.fromkeys((119, 120, 121, 122, 125, 787), "buffer-overflow"),
    **dict.fromkeys((284, 285, 639, 862, 863, 425), "access-control"),
}
"""CWE -> IPA class. Mail header injection (1.8) has no CWE of its own (CWE-93 is CRLF injection in general,
read as HTTP header injection): a finding is read as mail header injection only when its name says so."""
_MAIL = re.compile(r"mail header|smtp header|メールヘッダ", re.IGNORECASE)
_CWE = re.compile(r"cwe[-_/:]?(\d{1,5})", re.IGNORECASE)


def ipa_class(cwe: int | None, name: str) -> str:
    """The IPA class of a finding with ``cwe`` and ``name``; ``other`` when none applies."""
    if _MAIL.search(name):
        return "mail-header-injection"
    return CWE_CLASSES.get(cwe, "other") if cwe is not None else "other"


def cwe_in(texts: list[str]) -> int | None:
    """The first CWE number named in ``texts`` (SARIF tags such as ``external/cwe/cwe-89``)."""
    for text in texts:
        found = _CWE.search(text)
        if found:
            return int(found.group(1))
    return None
