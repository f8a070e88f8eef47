"""sslyze's JSON (``--json_out``, sslyze 5 and 6) into the TLS probe's facts, one per https endpoint.

The certificates sslyze received are described by the TLS probe's own code (``describe_certificate``,
``describe_chain``), so the same certificate gives the same facts whoever fetched it; the hostname is
matched by secaudit's rule. Trust is what sslyze's path validation found (its trust stores, and the CA
file it was given with ``--certinfo_ca_file``). A scan command sslyze did not run, or that failed,
leaves the checks that need it "not run".
"""

from __future__ import annotations

import datetime as dt
import ssl
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

PROTOCOL_COMMANDS = {
    "ssl_2_0_cipher_suites": "SSLv2",
    "ssl_3_0_cipher_suites": "SSLv3",
    "tls_1_0_cipher_suites": "TLSv1",
    "tls_1_1_cipher_suites": "TLSv1.1",
    "tls_1_2_cipher_suites": "TLSv1.2",
    "tls_1_3_cipher_suites": "TLSv1.3",
}
PREFERRED_STORE = "Mozilla"


class SslyzeJsonImporter:
    """sslyze's JSON output: protocol versions, accepted suites and the certificate chain of each server."""

    format = "sslyze-json"
    tool = "sslyze"

    def detect(self, data: bytes) -> bool:
        """JSON naming ``server_scan_results`` and, at its end, ``sslyze_version``."""
        return looks_like_json_with(data, "server_scan_results") and b'"sslyze_version"' in data[-8192:]

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """Each server sslyze scanned, matched by host, port and address to a declared https URL target."""
        document = load_json(data, file)
        if not isinstance(document, dict) or not isinstance(document.get("server_scan_results"), list):
            raise UnreadableImport(
                f"{file}: not sslyze's JSON (no server_scan_results list)",
                [Problem(file, "no 'server_scan_results' list at the top level")],
            )
        version = document.get("sslyze_version")
        started = parse_moment(document.get("date_scans_started"), file, "date_scans_started")
        imported = Imported(self.tool, str(version)[:40] if version else None, started)
        tool = self.tool
        for index, server in enumerate(document["server_scan_results"]):
            where = f"{file}: server_scan_results[{index}]"
            location = _mapping(server, "server_location", where)
            hostname = str(location.get("hostname") or "")
            address = str(location.get("ip_address") or "")
            port = location.get("port")
            if not isinstance(port, int) or not hostname or not address:
                raise UnreadableImport(
                    f"{where}.server_location: hostname, port and ip_address are required",
                    [Problem(f"{where}.server_location", "hostname, port and ip_address are required")],
                )
            approved = https_target(scope, hostname, address, port)
            if approved is None:
                imported.outside.append(f"{hostname}:{port} ({address})")
                continue
            network = (
                server.get("network_configuration") if isinstance(server.get("network_configuration"), dict) else {}
            )
            sni = str(network.get("tls_server_name_indication") or hostname)
            facts = TlsFacts(target=approved.label, address=address, port=port, sni=sni, observed_at=started)
            item = ImportedFacts(facts)
            if server.get("connectivity_status") != "COMPLETED":
                trace = str(server.get("connectivity_error_trace") or server.get("connectivity_status") or "unknown")
                facts.error = f"sslyze could not connect: {' '.join(trace.split())[:200]}"
            else:
                results = server.get("scan_result") if isinstance(server.get("scan_result"), dict) else {}
                _protocols(results, facts, item, tool)
                _certificate(results, facts, item, tool, approved.target.ca_bundle, started, where)
            imported.items.append(item)
        return imported


def _mapping(parent: Any, key: str, where: str) -> dict[str, Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    if not isinstance(value, dict):
        raise UnreadableImport(f"{where}: no {key} object", [Problem(where, f"no '{key}' object")])
    return value


def _completed(results: dict[str, Any], command: str) -> dict[str, Any] | None:
    attempt = results.get(command)
    result = attempt.get("result") if isinstance(attempt, dict) and attempt.get("status") == "COMPLETED" else None
    return result if isinstance(result, dict) else None


def _protocols(results: dict[str, Any], facts: TlsFacts, item: ImportedFacts, tool: str) -> None:
    untested = []
    for command, version in PROTOCOL_COMMANDS.items():
        result = _completed(results, command)
        if result is None:
            untested.append(version)
            continue
        accepted = [
            str(suite["cipher_suite"].get("openssl_name") or suite["cipher_suite"].get("name"))
            for suite in result.get("accepted_cipher_suites") or []
            if isinstance(suite, dict) and isinstance(suite.get("cipher_suite"), dict)
        ]
        offered = bool(result.get("is_tls_version_supported")) and bool(accepted)
        facts.protocols[version] = ProtocolSupport(offered=offered, cipher=accepted[0] if offered else None)
        if accepted:
            facts.ciphers[version] = accepted
    if untested:
        shown = ", ".join(untested)
        reason = not_said(tool, f"which of {shown} the server accepts", f" {shown} のうちサーバが受け入れるもの")
        item.unanswered.update(dict.fromkeys(PROTOCOL_ASSERTIONS, reason))


def _certificate(
    results: dict[str, Any],
    facts: TlsFacts,
    item: ImportedFacts,
    tool: str,
    ca_bundle: str | None,
    now: dt.datetime,
    where: str,
) -> None:
    from secaudit.scan.probes.tls import CertificateUnreadable, describe_certificate, describe_chain

    info = _completed(results, "certificate_info")
    deployments = info.get("certificate_deployments") if info else None
    deployment = deployments[0] if isinstance(deployments, list) and deployments else None
    chain = deployment.get("received_certificate_chain") if isinstance(deployment, dict) else None
    if not isinstance(deployment, dict) or not isinstance(chain, list) or not chain:
        reason = not_said(tool, "the server's certificate", "サーバ証明書")
        item.unanswered.update(dict.fromkeys(CERTIFICATE_ASSERTIONS, reason))
        return
    try:
        served = [ssl.PEM_cert_to_DER_cert(str(cert.get("as_pem"))) for cert in chain if isinstance(cert, dict)]
    except ValueError as exc:  # binascii.Error included
        raise UnreadableImport(
            f"{where}: certificate_info: a certificate is not PEM ({exc})",
            [Problem(f"{where}.scan_result.certificate_info", "a certificate is not PEM")],
        ) from None
    trusted, trust_error = _trust(deployment)
    try:
        facts.certificate = describe_certificate(served[0], facts.sni, trusted, trust_error, now)
    except CertificateUnreadable as exc:
        facts.error = str(exc)
        return
    facts.certificate.chain_length = len(served)
    described = describe_chain(served, ca_bundle)
    if described is not None:
        facts.certificate.chain, facts.certificate.chain_anchor, facts.certificate.anchor_source = described
    if not any(isinstance(p, dict) for p in deployment.get("path_validation_results") or []):
        item.unanswered["certificate_trusted"] = Said(
            f"{tool}'s results hold no path validation", f"{tool} の結果に証明書の検証結果が含まれていません"
        )


def _trust(deployment: dict[str, Any]) -> tuple[bool, str | None]:
    """Trusted when sslyze validated the chain against any of its trust stores; else the reason it gave
    (Mozilla's first)."""
    results = [p for p in deployment.get("path_validation_results") or [] if isinstance(p, dict)]
    for result in results:
        if result.get("was_validation_successful") is True:
            return True, None
    ordered = sorted(results, key=lambda r: (r.get("trust_store") or {}).get("name") != PREFERRED_STORE)
    for result in ordered:
        error = result.get("validation_error")
        if error:
            store = (result.get("trust_store") or {}).get("name") or "a trust store"
            return False, f"{' '.join(str(error).split())[:160]} ({store})"
    return False, "sslyze could not validate the chain"
