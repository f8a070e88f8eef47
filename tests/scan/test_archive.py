"""nmap's raw XML is archived with its run, cut at the size cap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from secaudit.model import ScanRun
from secaudit.store import open_store, scans


def test_raw_xml_is_archived_with_a_size_cap(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    run = ScanRun(
        id="r1", service_id="svc", profile="quick", started_at=dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
        secaudit_version="0.1.0",
    )
    scans.begin_run(store, run)
    small = b"<nmaprun><!-- <script>kept</script> --></nmaprun>"
    huge = b"<nmaprun>" + b"x" * (scans.MAX_ARCHIVED_XML + 10)
    scans.archive_nmap_xml(store, run.id, [("127.0.0.1", small), ("::1", huge)])
    archived = scans.nmap_xml_of(store, run.id)
    assert archived[0] == ("127.0.0.1", small.decode(), False)
    assert archived[1][0] == "::1" and archived[1][2] is True
    assert len(archived[1][1]) == scans.MAX_ARCHIVED_XML
