"""nmap's XML (``-oX``) into the ports probe's facts: one PortFacts per declared host target and address."""

from __future__ import annotations

import datetime as dt
import shlex

from secaudit.errors import Problem
from secaudit.importers.base import Imported, ImportedFacts, UnreadableImport, host_target
from secaudit.model import PortFacts
from secaudit.model.facts import IMPORTED_NMAP_PORTS
from secaudit.scan.judges.base import Said
from secaudit.scan.probes.nmap_xml import parse_nmap_xml
from secaudit.scan.scope import ScopeDecision


class NmapXmlImporter:
    """``nmap -oX`` output: open ports, services and versions, as nmap recorded them."""

    format = "nmap-xml"
    tool = "nmap"

    def detect(self, data: bytes) -> bool:
        """An XML document whose root element is ``nmaprun``."""
        head = data[:4096]
        return head.lstrip().startswith(b"<") and b"<nmaprun" in head

    def read(self, data: bytes, file: str, scope: ScopeDecision) -> Imported:
        """Each host nmap reported, matched by address to the declared host target it belongs to."""
        report = parse_nmap_xml(data)
        if report.error is not None:
            raise UnreadableImport(f"{file}: {report.error}", [Problem(file, report.error)])
        if report.started is None:
            raise UnreadableImport(
                f"{file}: <nmaprun> has no start time", [Problem(f"{file}: <nmaprun start>", "missing")]
            )
        try:
            argv = shlex.split(report.args or "")[1:]
        except ValueError:
            argv = []
        imported = Imported(
            tool=self.tool,
            tool_version=report.version,
            scanned_at=dt.datetime.fromtimestamp(report.started, dt.UTC),
            raw_nmap_xml=[(",".join(sorted(report.hosts)), data)],
        )
        for address, host in sorted(report.hosts.items()):
            approved = host_target(scope, address)
            if approved is None:
                imported.outside.append(address + (f" ({', '.join(host.hostnames)})" if host.hostnames else ""))
                continue
            expected = sorted(set(approved.target.ports))
            facts = PortFacts(
                target=approved.label,
                address=address,
                hostname=approved.hostname,
                scanned=list(report.scanned),
                scanned_from=IMPORTED_NMAP_PORTS if report.scanned else "",
                expected_ports=expected,
                ports=host.ports,
                host_state=host.state,
                error=host.error,
                nmap_version=report.version,
                nmap_args=argv,
                scripts=host.scripts,
            )
            item = ImportedFacts(facts)
            unscanned = [p for p in expected if not facts.covers(p)]
            if unscanned:
                shown = ", ".join(str(p) for p in unscanned)
                item.unanswered["expected_open"] = Said(
                    f"the declared port(s) {shown} were not in the imported nmap run's port set",
                    f"申告されたポート {shown} は取り込んだ nmap の走査範囲にありません",
                )
            if "-sV" not in argv and not any(p.banner for p in host.ports):
                item.unanswered["no_version_banner"] = Said(
                    "the imported nmap run neither detected versions (-sV) nor grabbed banners",
                    "取り込んだ nmap の走査はバージョン検出（-sV）もバナー取得も行っていません",
                )
            imported.items.append(item)
        return imported
