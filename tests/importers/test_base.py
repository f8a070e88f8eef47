"""The importers' shared parts: the assertion groups they leave "not run" name real TLS assertions."""

from __future__ import annotations

from secaudit.importers.base import CERTIFICATE_ASSERTIONS, PROTOCOL_ASSERTIONS
from secaudit.scan.judges.tls import ASSERTIONS


def test_every_assertion_an_importer_may_leave_not_run_is_a_tls_assertion() -> None:
    # a judge renamed without these lists would let an import judge a check on facts it never filled in
    assert set(PROTOCOL_ASSERTIONS) | set(CERTIFICATE_ASSERTIONS) == set(ASSERTIONS)
