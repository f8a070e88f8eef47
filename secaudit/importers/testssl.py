"""testssl.sh's pretty JSON (``--jsonfile-pretty``, testssl.sh 3.0) into the TLS probe's facts, one per endpoint.

Why the pretty format only: its header carries testssl.sh's version and the moment the scan started, which
the evidence and the scope's authorisation need; the flat format (``--jsonfile``) has neither, so it is
refused with that reason rather than imported with a guessed date.

What each fact comes from (testssl.sh's finding ids):

- protocol versions: ``SSLv2`` ... ``TLS1_3`` (``-p``); a finding that neither says "offered" nor "not
  offered" (a local lack, a socket problem, a strange reply) leaves the version untested, never "not offered";
- accepted suites per version: ``cipher-<proto>_x<hex>`` (``-E``, every suite), else ``cipherorder_<proto>``
  (``-P`` when the server orders its suites), else the one suite negotiated per version (``cipher_order_<proto>``,
  as secaudit's own probe sees without enumeration); OpenSSL names are used where the file gives them;
- the certificate: the leaf's PEM (``cert``) described by the TLS probe's own code (``describe_certificate``,
  ``describe_chain``), so the same certificate gives the same facts whoever fetched it; trust is testssl.sh's
  ``cert_chain_of_trust`` (its stores and the CA files given with ``--add-ca``). testssl.sh 3.0 does not write
  the intermediates it received: the chain is described only when the file holds every certificate the server
  sent (``certs_countServer``), else the chain check is "not run". With several server certificates (RSA and
  ECDSA), the first one testssl.sh lists is the one judged.

Anything the file does not say leaves the checks that need it "not run", never passed.
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secaudit.errors import Problem
from secaudit.importers.base import (
    CERTIFICATE_ASSERTIONS,
    PROTOCOL_ASSERTIONS,
    Imported,
    ImportedFacts,
    UnreadableImport,
    https_target,
    load_json,
    looks_like_json_with,
    not_said,
    parse_moment,
)
from secaudit.model import TlsFacts
from secaudit.model.facts import ProtocolSupport
from secaudit.scan.judges.base import Said
from secaudit.scan.scope import ScopeDecision

PROTOCOL_IDS = {
    "SSLv2": "SSLv2",
    "SSLv3": "SSLv3",
    "TLS1": "TLSv1",
    "TLS1_1": "TLSv1.1",
    "TLS1_2": "TLSv1.2",
    "TLS1_3": "TLSv1.3",
}
"""testssl.sh's ``-p`` finding ids, as secaudit names the versions."""
ENUMERATED = re.compile(r"^cipher-(ssl2|ssl3|tls1|tls1_1|tls1_2|tls1_3)_(x[0-9a-f]+)$", re.IGNORECASE)
"""``-E``: one finding per suite a version accepts."""
ENUMERATED_PROTOCOLS = {
    "ssl2": "SSLv2",
    "ssl3": "SSLv3",
    "tls1": "TLSv1",
    "tls1_1": "TLSv1.1",
    "tls1_2": "TLSv1.2",
    "tls1_3": "TLSv1.3",
}
ORDERED = {"SSLv3": "SSLv3", "TLSv1": "TLSv1", "TLSv1_1": "TLSv1.1", "TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}
"""``-P`` when the server orders its suites: ``cipherorder_<proto>``, every suite in the server's order."""
NEGOTIATED = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
"""``-P`` when the client picks: ``cipher_order_<proto>``, the one suite negotiated."""
_SERVER_CERT = re.compile(r"^(?P<id>.+?) <(?:cert|hostCert)#(?P<n>\d+)>$")
"""With more than one server certificate, every certificate finding's id ends with ``<cert#N>``."""
_INTERMEDIATE = re.compile(r"^intermediate_cert <#(?P<n>\d+)>$")
"""testssl.sh 3.1 and later write each intermediate certificate it received (3.0 does not)."""
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(?P<body>.*?)-----END CERTIFICATE-----", re.DOTALL)
_SUITE_NAME = re.compile(r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+$")


@dataclass
class _Finding:
    id: str
    text: str
    where: str


@dataclass
class _Findings:
    """One scanned endpoint's findings by id (the first server certificate's, when there are several)."""

    by_id: dict[str, list[_Finding]] = field(default_factory=dict)

    def first(self, finding_id: str) -> _Finding | None:
        found = self.by_id.get(finding_id)
        return found[0] if found else None

    def all(self, finding_id: str) -> list[_Finding]:
        return self.by_id.get(finding_id, [])

    def ids(self) -> Iterator[str]:
        return iter(list(self.by_id))


class TestsslJsonImporter:
    """testssl.sh's pretty JSON: protocol versions, accepted suites and the leaf certificate of each endpoint."""

    format = "testssl-json"
    tool = "testssl.sh"

    def detect(self, data: bytes) -> bool:
        """JSON that is testssl.sh's: the pretty header (``Invocation``, ``scanResult``), or the flat list of
        findings (``id``, ``ip``, ``port``, ``severity``, ``finding``), which ``read`` refuses with its reason."""
        if looks_like_json_with(data, "Invocation", "scanResult"):
            return True
        head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head[:1] == b"[" and looks_like_json_with(data, "id", "ip", "port", "severity", "finding")

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """Each endpoint testssl.sh scanned, matched by host, port and address to a declared https URL target."""
        document = load_json(data, file)
        if isinstance(document, list):
            raise UnreadableImport(
                f"{file}: testssl.sh's flat JSON (--jsonfile) records neither when the scan ran nor testssl.sh's "
                "version; write it with --jsonfile-pretty",
                [Problem(file, "flat JSON (--jsonfile): no start time or version; use --jsonfile-pretty")],
            )
        if not isinstance(document, dict) or not isinstance(document.get("scanResult"), list):
            raise UnreadableImport(
                f"{file}: not testssl.sh's JSON (no scanResult list)",
                [Problem(file, "no 'scanResult' list at the top level")],
            )
        version = str(document.get("version") or "").split()
        started = _start_time(document.get("startTime"), file)
        imported = Imported(self.tool, version[0][:40] if version else None, started)
        tool = self.tool
        for index, result in enumerate(document["scanResult"]):
            where = f"{file}: scanResult[{index}]"
            if not isinstance(result, dict):
                raise UnreadableImport(f"{where}: not an object", [Problem(where, "not an object")])
            hostname, address, port = _endpoint(result, where)
            approved = https_target(scope, hostname, address, port)
            if approved is None:
                imported.outside.append(f"{hostname}:{port} ({address})")
                continue
            facts = TlsFacts(target=approved.label, address=address, port=port, sni=hostname, observed_at=started)
            item = ImportedFacts(facts)
            findings = _findings(result, where)
            problem = findings.first("scanProblem")
            if problem is not None:
                facts.error = f"testssl.sh could not scan: {' '.join(problem.text.split())[:200]}"
            else:
                _protocols(findings, facts, item, tool)
                _certificate(findings, facts, item, tool, approved.target.ca_bundle, started)
            imported.items.append(item)
        return imported


def _start_time(value: object, file: str) -> dt.datetime:
    """testssl.sh writes ``startTime`` as Unix seconds (a string); an ISO 8601 moment is read too."""
    if isinstance(value, int | str) and str(value).strip().isdigit():
        try:
            return dt.datetime.fromtimestamp(int(str(value).strip()), dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise UnreadableImport(
                f"{file}: startTime: {str(value)[:40]!r} is not a date and time",
                [Problem(f"{file}: startTime", f"{str(value)[:40]!r} is not a date and time")],
            ) from None
    return parse_moment(value, file, "startTime")


def _endpoint(result: dict[str, Any], where: str) -> tuple[str, str, int]:
    hostname = result.get("targetHost")
    address = result.get("ip")
    port = str(result.get("port") or "").strip()
    if not isinstance(hostname, str) or not hostname or not isinstance(address, str) or not address:
        problem = result.get("finding") if result.get("id") == "scanProblem" else None
        if isinstance(problem, str):
            # testssl.sh writes a scan it could not start as a bare finding, naming no endpoint
            raise UnreadableImport(
                f"{where}: testssl.sh could not scan ({' '.join(problem.split())[:160]}); the file names no endpoint",
                [Problem(where, "a scan problem naming no endpoint")],
            )
        raise UnreadableImport(
            f"{where}: targetHost, ip and port are required", [Problem(where, "targetHost, ip and port are required")]
        )
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UnreadableImport(f"{where}.port: {port[:20]!r} is not a port", [Problem(f"{where}.port", "not a port")])
    return hostname, address, int(port)


def _findings(result: dict[str, Any], where: str) -> _Findings:
    """Every finding of every section, by id; a certificate finding of a second server certificate is left out."""
    findings = _Findings()
    for section, items in result.items():
        if not isinstance(items, list):
            continue
        for position, finding in enumerate(items):
            place = f"{where}.{section}[{position}]"
            if not isinstance(finding, dict) or not isinstance(finding.get("id"), str):
                raise UnreadableImport(f"{place}: not a finding (no id)", [Problem(place, "not a finding (no id)")])
            finding_id = finding["id"].strip()
            text = finding.get("finding")
            if not isinstance(text, str):
                raise UnreadableImport(
                    f"{place} (id={finding_id[:60]}): no finding text", [Problem(place, "no 'finding' text")]
                )
            certificate = _SERVER_CERT.match(finding_id)
            if certificate is not None:
                if certificate.group("n") != "1":
                    continue
                finding_id = certificate.group("id")
            findings.by_id.setdefault(finding_id, []).append(
                _Finding(finding_id, text, f"{place} (id={finding_id[:60]})")
            )
    return findings


def _protocols(findings: _Findings, facts: TlsFacts, item: ImportedFacts, tool: str) -> None:
    enumerated, ordered, negotiated = _suites(findings)
    untested = []
    for finding_id, version in PROTOCOL_IDS.items():
        said = findings.first(finding_id)
        if said is None:
            untested.append(version)
            continue
        offered, error = _offered(said.text)
        listed = enumerated.get(version) or ordered.get(version) or []
        picked = ordered.get(version) or negotiated.get(version) or enumerated.get(version) or []
        facts.protocols[version] = ProtocolSupport(
            offered=offered, cipher=picked[0] if offered and picked else None, error=error
        )
        if listed:
            facts.ciphers[version] = listed
    if untested:
        shown = ", ".join(untested)
        reason = not_said(tool, f"which of {shown} the server accepts", f"サーバが {shown} のどれを受け入れるか")
        item.unanswered.update(dict.fromkeys(PROTOCOL_ASSERTIONS, reason))
        return
    silent = [v for v, p in facts.protocols.items() if p.offered and not p.cipher and v not in facts.ciphers]
    if silent:
        shown = ", ".join(silent)
        item.unanswered["ciphers_recommended"] = not_said(
            tool, f"which cipher suites the server accepts with {shown}", f" {shown} で受け入れる暗号スイート"
        )


def _offered(text: str) -> tuple[bool | None, str | None]:
    """What one ``-p`` finding says: offered, not offered, or not known (with testssl.sh's words)."""
    said = " ".join(text.split())
    lowered = said.lower()
    if lowered.startswith(("not offered", "likely not offered", "connection failed rather than downgrading")):
        # "likely": the server closed the connection without an answer, which secaudit's own probe also
        # takes as a refusal
        return False, None
    if lowered.startswith(("offered", "vulnerable with", "supported but couldn't detect a cipher")):
        return True, None
    return None, f"testssl.sh: {said[:200]}"


def _suites(
    findings: _Findings,
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[str]]]:
    """The suites per version: enumerated (``-E``), in the server's order (``-P``), and negotiated (``-P``)."""
    enumerated: dict[str, list[str]] = {}
    ordered: dict[str, list[str]] = {}
    negotiated: dict[str, list[str]] = {}
    for finding_id in findings.ids():
        for finding in findings.all(finding_id):
            each = ENUMERATED.match(finding_id)
            if each is not None:
                name = _enumerated_suite(finding, each.group(2).lower())
                if name is not None:
                    enumerated.setdefault(ENUMERATED_PROTOCOLS[each.group(1).lower()], []).append(name)
            elif finding_id.startswith("cipherorder_") and finding_id[12:] in ORDERED:
                ordered[ORDERED[finding_id[12:]]] = finding.text.split()
            elif finding_id.startswith("cipher_order_") and finding_id[13:] in NEGOTIATED:
                first = finding.text.split()[:1]
                if first and _SUITE_NAME.match(first[0]):
                    negotiated[finding_id[13:]] = first
    return enumerated, ordered, negotiated


def _enumerated_suite(finding: _Finding, hexcode: str) -> str | None:
    """The OpenSSL name of one ``-E`` suite (the IANA name when OpenSSL has none), or None when ``--show-each``
    lists it as not available. The line is ``PROTO HEX NAME KX ENC BITS [OTHER-NAME] [available|not a/v]``; which
    name comes first depends on ``--mapping``."""
    tokens = finding.text.split()
    if tokens[-2:] == ["not", "a/v"]:
        return None
    if tokens[-1:] == ["available"]:
        tokens = tokens[:-1]
    lowered = [t.lower() for t in tokens]
    if hexcode not in lowered or lowered.index(hexcode) + 1 >= len(tokens):
        raise UnreadableImport(
            f"{finding.where}: no suite {hexcode} in {' '.join(tokens)[:80]!r}",
            [Problem(finding.where, f"no suite {hexcode} in the finding")],
        )
    after = tokens[lowered.index(hexcode) + 1 :]
    names = [after[0]] + ([after[-1]] if len(after) > 1 and _SUITE_NAME.match(after[-1]) else [])
    names = [n for n in names if n != "-"]
    if not names or not _SUITE_NAME.match(names[0]):
        raise UnreadableImport(
            f"{finding.where}: no cipher suite name in {' '.join(tokens)[:80]!r}",
            [Problem(finding.where, "no cipher suite name")],
        )
    return next((n for n in names if not n.startswith(("TLS_", "SSL_"))), names[0])


def _certificate(
    findings: _Findings, facts: TlsFacts, item: ImportedFacts, tool: str, ca_bundle: str | None, now: dt.datetime
) -> None:
    from secaudit.scan.probes.tls import CertificateUnreadable, describe_certificate, describe_chain

    leaf = findings.first("cert")
    if leaf is None:
        reason = not_said(tool, "the server's certificate", "サーバ証明書")
        item.unanswered.update(dict.fromkeys(CERTIFICATE_ASSERTIONS, reason))
        return
    intermediates = sorted(
        ((int(m.group("n")), f) for i in findings.ids() if (m := _INTERMEDIATE.match(i)) for f in findings.all(i)),
        key=lambda pair: pair[0],
    )
    served = [_der(leaf), *(_der(f) for _, f in intermediates)]
    trusted, trust_error = _trust(findings.all("cert_chain_of_trust"))
    try:
        facts.certificate = describe_certificate(served[0], facts.sni, bool(trusted), trust_error, now)
    except CertificateUnreadable as exc:
        facts.error = str(exc)
        return
    if trusted is None:
        item.unanswered["certificate_trusted"] = Said(
            f"{tool}'s results hold no chain of trust verdict", f"{tool} の結果に証明書の検証結果が含まれていません"
        )
    count = findings.first("certs_countServer")
    sent = int(count.text.strip()) if count is not None and count.text.strip().isdigit() else None
    facts.certificate.chain_length = sent or len(served)
    if sent == len(served):
        described = describe_chain(served, ca_bundle)
        if described is not None:
            facts.certificate.chain, facts.certificate.chain_anchor, facts.certificate.anchor_source = described
        return
    if sent:
        item.unanswered["certificate_chain_complete"] = Said(
            f"{tool}'s results hold {len(served)} of the {sent} certificates the server sent",
            f"{tool} の結果にはサーバが送った証明書{sent}枚のうち{len(served)}枚しか含まれていません",
        )
    else:
        item.unanswered["certificate_chain_complete"] = not_said(
            tool, "how many certificates the server sent", "サーバが送った証明書の枚数"
        )
    if ca_bundle:
        # whether the target's own CA issued it decides which lifespan limit applies; without the chain, unknown
        item.unanswered["certificate_lifespan_by_issuance"] = Said(
            f"{tool}'s results do not hold the chain, so whether the declared CA bundle issued the certificate "
            "is not known",
            f"{tool} の結果に証明書チェーンがなく、申告された CA バンドルによる発行かどうか分かりません",
        )


def _der(finding: _Finding) -> bytes:
    """The DER of a PEM that testssl.sh wrote on one line (newlines as spaces, or as ``\\n``)."""
    found = _PEM.search(finding.text.replace("\\n", "\n"))
    body = "".join(found.group("body").split()) if found else ""
    try:
        der = binascii.a2b_base64(body.encode("ascii"), strict_mode=True) if body else b""
    except (binascii.Error, UnicodeEncodeError):
        der = b""
    if not der:
        raise UnreadableImport(
            f"{finding.where}: the certificate is not PEM", [Problem(finding.where, "the certificate is not PEM")]
        )
    return der


def _trust(verdicts: list[_Finding]) -> tuple[bool | None, str | None]:
    """Trusted when testssl.sh validated the chain against any of its stores (as sslyze's import reads sslyze);
    else testssl.sh's reason; None when the file holds no verdict."""
    for verdict in verdicts:
        said = " ".join(verdict.text.split())
        if said.startswith("passed"):
            return True, None
        if said.startswith("Some certificate trust checks failed"):
            passed = said.rpartition("OK ->")[2].strip()
            return (True, None) if passed else (False, said[:200])
        if said.startswith("failed"):
            return False, said.rstrip(". ")[:200]
    return None, None
