"""Fuzzing the parsers of outside input: workbooks (questionnaire, risk register), nmap XML, HTTP headers
and cookies, TLS certificates. For any input: a result or the subsystem's own clean error; never another
exception, never a hang, and a refused workbook stores nothing.

Bounded (few examples, capped sizes, a timeout) so the suite stays fast.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from secaudit.catalog import load_catalog
from secaudit.model import HttpFacts, Language, ProbeKind
from secaudit.model.facts import TlsFacts
from secaudit.questionnaire import QuestionnaireError
from secaudit.questionnaire.importer import ImportRequest, import_workbook
from secaudit.risk.workbook import RegisterFileError, read_register_xlsx
from secaudit.scan.judges import judge, validate_checks
from secaudit.scan.probes.cookies import MAX_RAW, parse_set_cookie
from secaudit.scan.probes.http import MAX_HEADER_BYTES, _headers
from secaudit.scan.probes.nmap_xml import parse_nmap_xml
from secaudit.scan.probes.tls import CertificateUnreadable, describe_certificate
from secaudit.store import Store, open_store
from secaudit.store.answers import store_counts
from secaudit.workspace import find_workspace
from tests.conftest import REPO, run_cli
from tests.questionnaire.conftest import GOOD, add_qtest, export, fill
from tests.scan import loopback

pytestmark = [pytest.mark.timeout(120), pytest.mark.filterwarnings("ignore:Generating overly large repr")]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
NMAP_FIXTURES = REPO / "tests" / "scan" / "fixtures" / "nmap"

# what an owner (or an attacker) can type into a cell
cell_values = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=10),
    st.sampled_from(["=1+1", "=HYPERLINK(\"http://evil\",\"x\")", "=cmd|' /C calc'!A0", "@SUM(A1)", "+1-1"]),
    st.sampled_from(["あ" * 300, "x" * 33_000]),  # past Excel's 32767 characters per cell
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
)
cell_edits = st.lists(
    st.tuples(st.integers(0, 3), st.integers(1, 40), st.integers(1, 12), cell_values), min_size=1, max_size=8
)
byte_edits = st.lists(st.tuples(st.integers(0, 10**7), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6)


def _edit_cells(data: bytes, edits: list[tuple[int, int, int, object]]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for sheet, row, col, value in edits:
        ws = wb.worksheets[sheet % len(wb.worksheets)]
        try:
            ws.cell(row, col, value)
        except (ValueError, TypeError, IllegalCharacterError):
            # openpyxl refuses to write raw control characters; a crafted file can still carry them,
            # which the byte-level fuzz covers
            ws.cell(row, col, repr(value))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _edit_bytes(data: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> bytes:
    buffer = bytearray(data)
    for offset, chunk in edits:
        at = offset % len(buffer)
        buffer[at : at + len(chunk)] = chunk
    return bytes(buffer[:cut] if cut is not None else buffer)


# --- the questionnaire workbook ------------------------------------------------------------------


@dataclass
class QuestionnaireBench:
    """A real filled-in workbook and everything an import needs."""

    root: Path
    good: bytes
    request: ImportRequest
    store: Store

    def attempt(self, data: bytes, folder: Path) -> None:
        """Import ``data``; a refusal must be a QuestionnaireError that stored nothing."""
        path = folder / "fuzz.xlsx"
        path.write_bytes(data)
        before = store_counts(self.store)
        try:
            outcome = import_workbook(self.request, path)
        except QuestionnaireError as exc:
            assert exc.lines(), "an error without a message"
            assert store_counts(self.store) == before, "a refused workbook stored something"
        else:
            assert outcome.stored == store_counts(self.store)["answers"] - before["answers"]


@pytest.fixture(scope="module")
def qbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuestionnaireBench]:
    """A workspace with the small ``qtest`` checklist and one filled, valid workbook."""
    root = tmp_path_factory.mktemp("qfuzz") / "ws"
    assert run_cli(["init", str(root)]).exit_code == 0
    add_qtest(root)
    book = fill(export(root, "qtest-svc", root / "q.xlsx"), GOOD)
    ws = find_workspace(root)
    store = open_store(ws.database_url)
    request = ImportRequest(
        store=store,
        catalog=load_catalog(ws.catalog_layers()),
        services_dir=ws.services_dir,
        classification_scheme=ws.config.classification_scheme,
        data_dir=ws.ensure_data_dir(),
        actor="fuzz",
        today=dt.date.today(),
    )
    bench = QuestionnaireBench(root, book.read_bytes(), request, store)
    bench.attempt(bench.good, tmp_path_factory.mktemp("sanity"))  # the unmutated workbook imports
    assert store_counts(store)["answers"] > 0
    yield bench
    store.close()


@FUZZ
@given(edits=cell_edits)
def test_questionnaire_import_with_any_cell_values(
    qbench: QuestionnaireBench, tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, int, object]]
) -> None:
    qbench.attempt(_edit_cells(qbench.good, edits), tmp_path_factory.mktemp("qc"))


@FUZZ
@given(edits=byte_edits, cut=st.one_of(st.none(), st.integers(0, 30_000)))
def test_questionnaire_import_with_corrupt_or_truncated_zip(
    qbench: QuestionnaireBench,
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[int, bytes]],
    cut: int | None,
) -> None:
    qbench.attempt(_edit_bytes(qbench.good, edits, cut), tmp_path_factory.mktemp("qb"))


# --- the risk register workbook ------------------------------------------------------------------


@pytest.fixture(scope="module")
def register_book() -> bytes:
    """A real register workbook (the exporter's bytes) with rows in it."""
    from secaudit.risk.workbook import register_xlsx
    from tests.risk.test_workbook import register

    entries = register()
    assert entries
    data = register_xlsx(entries, "svc", "5x5", Language.JA, ZoneInfo("Asia/Tokyo"))
    read_register_xlsx(data, "register.xlsx", "fuzz", dt.datetime.now(dt.UTC))  # the unmutated book reads
    return data


def _read_register(data: bytes) -> None:
    try:
        read_register_xlsx(data, "fuzz.xlsx", "fuzz", dt.datetime.now(dt.UTC))
    except RegisterFileError as exc:
        assert exc.lines()


@FUZZ
@given(edits=cell_edits)
def test_register_import_with_any_cell_values(register_book: bytes, edits: list[tuple[int, int, int, object]]) -> None:
    _read_register(_edit_cells(register_book, edits))


@FUZZ
@given(edits=byte_edits, cut=st.one_of(st.none(), st.integers(0, 30_000)))
def test_register_import_with_corrupt_or_truncated_zip(
    register_book: bytes, edits: list[tuple[int, bytes]], cut: int | None
) -> None:
    _read_register(_edit_bytes(register_book, edits, cut))


# --- nmap XML --------------------------------------------------------------------------------------

NMAP_SAMPLES = [path.read_bytes() for path in sorted(NMAP_FIXTURES.glob("*.xml"))]


@FUZZ
@given(sample=st.sampled_from(NMAP_SAMPLES), edits=byte_edits, cut=st.one_of(st.none(), st.integers(0, 5000)))
def test_nmap_xml_parser_on_mutated_output(sample: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> None:
    report = parse_nmap_xml(_edit_bytes(sample, edits, cut))
    assert report.error is not None or isinstance(report.hosts, dict)
    for address in ("127.0.0.1", "::1"):
        report.for_address(address)


xml_attr = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters='"<&'), max_size=12)


@FUZZ
@given(
    portids=st.lists(xml_attr, max_size=4),
    states=st.lists(xml_attr, max_size=4),
    address=xml_attr,
    exit_attr=xml_attr,
)
def test_nmap_xml_parser_on_odd_attribute_values(
    portids: list[str], states: list[str], address: str, exit_attr: str
) -> None:
    ports = "".join(
        f'<port protocol="tcp" portid="{p}"><state state="{s}"/><service name="{s}" product="{p}"/></port>'
        for p, s in zip(portids, states, strict=False)
    )
    xml = (
        f'<?xml version="1.0"?><nmaprun version="7.94"><host><status state="{exit_attr}"/>'
        f'<address addr="{address}" addrtype="ipv4"/><ports>{ports}</ports></host>'
        f'<runstats><finished exit="{exit_attr}"/></runstats></nmaprun>'
    ).encode()
    report = parse_nmap_xml(xml)
    report.for_address(address)


# --- HTTP headers and cookies ----------------------------------------------------------------------

header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200)


@FUZZ
@given(st.text(max_size=MAX_RAW * 2))
def test_cookie_parser_on_any_header(raw: str) -> None:
    cookie = parse_set_cookie(raw)
    assert cookie is None or (cookie.name and len(cookie.raw) <= MAX_RAW)


@pytest.fixture(scope="module")
def http_checks() -> list[tuple[object, object]]:
    """Every HTTP check of the shipped catalog with its validated parameters."""
    from secaudit.workspace import builtin_layer

    catalog = load_catalog([builtin_layer()])
    checks = [c for c in catalog.checks.values() if c.probe is ProbeKind.HTTP]
    parameters = validate_checks(checks)
    assert checks
    return [(c, parameters[c.id]) for c in checks]


@FUZZ
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from(
                ["Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options", "Set-Cookie", "Server",
                 "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy", "X-Powered-By", "Location"]
            )
            | st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20),
            header_text,
        ),
        max_size=12,
    ),
    status=st.integers(100, 599),
)
def test_header_handling_and_http_judges_on_any_headers(
    http_checks: list[tuple[object, object]], headers: list[tuple[str, str]], status: int
) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    response = httpx.Response(status, headers=raw)
    seen = _headers(response)
    assert sum(len(k) + len(v) for k, values in seen.items() for v in values) <= MAX_HEADER_BYTES
    cookies = [parse_set_cookie(v) for k, values in seen.items() if k.lower() == "set-cookie" for v in values]
    facts = HttpFacts(
        target="https://fuzz.example/",
        address="127.0.0.1",
        status=status,
        final_url="https://fuzz.example/",
        headers=seen,
        cookies=[c for c in cookies if c is not None],
    )
    for check, params in http_checks:
        status_, evidence, _details = judge(check, params, facts)  # type: ignore[arg-type]
        assert status_.value in ("pass", "fail", "error", "not_run") and isinstance(evidence, str)


# --- TLS certificates ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def leaf_der(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real leaf certificate (DER) from a throwaway CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    folder = tmp_path_factory.mktemp("certs")
    now = dt.datetime.now(dt.UTC)
    cert_path, _key = loopback.TestCA.create(folder).issue(folder, "leaf", now, now + dt.timedelta(days=30))
    return x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(Encoding.DER)


def _describe(der: bytes) -> None:
    now = dt.datetime.now(dt.UTC)
    try:
        info = describe_certificate(der, "localhost", False, None, now)
    except CertificateUnreadable as exc:
        assert str(exc).startswith("unreadable certificate")
        return
    TlsFacts(target="t", address="127.0.0.1", port=443, sni="localhost", certificate=info)


@FUZZ
@given(st.binary(max_size=600))
def test_certificate_parser_on_random_bytes(der: bytes) -> None:
    _describe(der)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=byte_edits, cut=st.one_of(st.none(), st.integers(0, 800)))
def test_certificate_parser_on_mutated_der(leaf_der: bytes, edits: list[tuple[int, bytes]], cut: int | None) -> None:
    _describe(_edit_bytes(leaf_der, edits, cut))


def test_nmap_xml_naming_an_unknown_encoding_is_an_error_report() -> None:
    # found by the fuzzer above: a damaged XML declaration raised LookupError from the decoder
    report = parse_nmap_xml(b'<?xml version="1.0" encoding="U-F-8"?>\n<nmaprun version="7.93"></nmaprun>\n')
    assert report.error is not None and "cannot be decoded" in report.error


def test_register_workbook_with_an_unsupported_zip_version_is_refused() -> None:
    # found by the fuzzer: zipfile raised NotImplementedError ("zip file version 6.4") past the guard
    import io
    import zipfile

    from secaudit.risk.workbook import RegisterFileError, read_register_xlsx

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(buffer.getvalue())
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"PK\x05\x06"))
    data[central + 6] = 64  # "version needed to extract" 6.4 in the central directory
    with pytest.raises(RegisterFileError, match="not an .xlsx workbook"):
        read_register_xlsx(bytes(data), "register.xlsx", "佐藤", dt.datetime.now(dt.UTC))
