"""The judges: one explicit registry per probe, from assertion name to judge, and check validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from secaudit.errors import Problem
from secaudit.model import Check, Facts, ProbeKind
from secaudit.model.config import ScanSettings
from secaudit.scan.errors import CheckDefinitionError
from secaudit.scan.judges import http, ports, tls, webapp
from secaudit.scan.judges.base import ERROR, Assertion, Parameters, Said, Verdict

REGISTRY: dict[ProbeKind, dict[str, Assertion[Any]]] = {
    ProbeKind.PORTS: ports.ASSERTIONS,
    ProbeKind.TLS: tls.ASSERTIONS,
    ProbeKind.HTTP: http.ASSERTIONS,
    ProbeKind.WEBAPP: webapp.ASSERTIONS,
}


def check_problems(check: Check) -> list[Problem]:
    """What is wrong with one check's assertion and parameters (empty when it is usable)."""
    vocabulary = REGISTRY[check.probe]
    assertion = vocabulary.get(check.assertion)
    where = f"check {check.id}"
    if assertion is None:
        known = ", ".join(sorted(vocabulary))
        return [Problem(where, f"probe {check.probe.value} has no assertion {check.assertion!r} (known: {known})")]
    try:
        assertion.parameters.model_validate(check.parameters)
    except ValidationError as exc:
        return [
            Problem(
                f"{where}: parameters" + ("." + ".".join(str(x) for x in err["loc"]) if err["loc"] else ""),
                f"{err['msg']} (assertion {check.assertion})",
            )
            for err in exc.errors()
        ]
    return []


def validate_checks(checks: Iterable[Check]) -> dict[str, BaseModel]:
    """Validate every check; return their parsed parameters by check id, or raise CheckDefinitionError."""
    parsed: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    for check in checks:
        found = check_problems(check)
        if found:
            problems += found
            continue
        parsed[check.id] = REGISTRY[check.probe][check.assertion].parameters.model_validate(check.parameters)
    if problems:
        raise CheckDefinitionError("scanner checks do not match their probes' vocabulary", problems)
    return parsed


def ports_named_by(checks: Iterable[Check], parameters: Mapping[str, BaseModel]) -> list[int]:
    """Every port the ports checks name: a scan always covers them, so those checks judge what they ask."""
    return sorted({p for c in checks if c.probe is ProbeKind.PORTS for p in ports.named_ports(parameters[c.id])})


def with_workspace_defaults(parameters: Mapping[str, BaseModel], settings: ScanSettings) -> dict[str, BaseModel]:
    """Parameters with what each check leaves to the workspace (e.g. the certificate expiry margin) filled in."""
    return {
        check_id: params.with_workspace(settings) if isinstance(params, Parameters) else params
        for check_id, params in parameters.items()
    }


def headers_required_by(checks: Iterable[Check], parameters: Mapping[str, BaseModel]) -> list[http.RequiredHeader]:
    """Every response header the HTTP checks require, first named first, with the rules of all that name it."""
    found: dict[str, http.RequiredHeader] = {}
    for check in checks:
        required = http.REQUIRED_HEADERS.get(check.assertion) if check.probe is ProbeKind.HTTP else None
        for header in required(parameters[check.id]) if required else ():
            key = header.name.lower()
            known = found.get(key)
            found[key] = header if known is None else http.RequiredHeader(known.name, known.rules + header.rules)
    return list(found.values())


def speaks_to(check: Check, parameters: BaseModel, facts: Facts) -> bool:
    """Whether ``facts`` speak to ``check`` (errored facts always do: the error is reported)."""
    applies = REGISTRY[check.probe][check.assertion].applies
    return facts.error is not None or applies is None or bool(applies(facts, parameters))


def judge(check: Check, parameters: BaseModel, facts: Facts) -> Verdict:
    """Judge ``facts`` with ``check``; a probe error is an error verdict, never a pass or a fail."""
    if facts.error is not None:
        return ERROR, Said(f"probe error: {facts.error}", f"調査のエラー: {facts.error}"), {"error": facts.error}
    return REGISTRY[check.probe][check.assertion].judge(facts, parameters)
