"""Evidence files owners upload: what is accepted (decided by content, never by name), and where they are kept.

A file is accepted when its bytes are one of a short list of document kinds: PDF, PNG, JPEG,
Office Open XML (xlsx, docx, pptx: a ZIP whose main part says which), or text (UTF-8, or
Shift_JIS as Japanese offices still write it) that is not HTML or SVG. Everything else is refused
with a message naming the file. Accepted files are stored once per content, under their SHA-256,
in the workspace's private folder (0600), and are read back only after their hash is checked again.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import urllib.parse
import zipfile
from dataclasses import dataclass
from pathlib import Path

from secaudit.atomic import PRIVATE_FILE, atomic_write_bytes, private_dir
from secaudit.errors import InputError

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
MAX_NAME_CHARS = 200
MAX_ZIP_ENTRIES = 2000
SNIFF_BYTES = 4096

OOXML_KINDS: tuple[tuple[str, str, str], ...] = (
    ("xl/workbook.xml", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("word/document.xml", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("ppt/presentation.xml", "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)
ALLOWED_TEXT = ("PDF", "PNG", "JPEG", "Excel/Word/PowerPoint (xlsx, docx, pptx)", "text (UTF-8, Shift_JIS)")
_MARKUP = re.compile(rb"<\s*(script|html|svg|!doctype\s+html|iframe|body)\b", re.IGNORECASE)
_INVISIBLE = re.compile("[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
EVIDENCE_REF = re.compile(r"\[(ev-[0-9a-f]{12})\]")
"""How an answer's evidence text refers to an uploaded file: ``[ev-1a2b3c4d5e6f]`` (the portal writes it; a
workbook's evidence cell may too)."""


def new_evidence_id() -> str:
    """A fresh evidence file id, ``ev-`` and 12 hex digits."""
    import secrets

    return f"ev-{secrets.token_hex(6)}"


def references(text: str | None) -> list[str]:
    """The evidence file ids an evidence text refers to, in order, each once."""
    return list(dict.fromkeys(EVIDENCE_REF.findall(text or "")))


class EvidenceFileError(InputError):
    """An uploaded file that is not accepted (exit 2 at the command line, 422 on the portal)."""


def _say(lang: str, ja: str, en: str) -> str:
    return en if lang == "en" else ja


@dataclass(frozen=True)
class EvidenceBlob:
    """An accepted file: its content hash, size, kind, the media type it is served with, and its clean name."""

    sha256: str
    size: int
    media_type: str
    kind: str
    name: str


def clean_name(raw: str, lang: str = "ja") -> str:
    """The name to show and to download as: the last path part (``/`` or ``\\``), NFC, without control or
    direction-override characters and leading dots, at most MAX_NAME_CHARS keeping the extension.

    Markup in a name is kept as text: every page escapes what it shows.
    """
    last = re.split(r"[/\\]", raw or "")[-1]
    name = _INVISIBLE.sub("", unicodedata.normalize("NFC", last)).strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        keep = f".{extension}" if dot and 0 < len(extension) <= 10 else ""
        name = (stem if keep else name)[: MAX_NAME_CHARS - len(keep)] + keep
    if not name:
        raise EvidenceFileError(_say(lang, "ファイル名が使えません", f"the file name {raw[:60]!r} cannot be used"))
    return name


def _kind(data: bytes, name: str, lang: str) -> tuple[str, str]:
    head = data[:SNIFF_BYTES]
    if head.startswith(b"%PDF-"):
        return "pdf", "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg", "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml(data, name, lang)
    if b"\x00" not in data and not _MARKUP.search(head):
        for charset, label in (("utf-8-sig", "utf-8"), ("shift_jis", "shift_jis")):
            try:
                data.decode(charset)
            except UnicodeDecodeError:
                continue
            return "text", f"text/plain; charset={label}"
    raise _refused(name, lang)


def _ooxml(data: bytes, name: str, lang: str) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise _refused(name, lang)
            names = {entry.filename for entry in entries}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise _refused(name, lang) from None
    if "[Content_Types].xml" in names:
        for part, kind, media_type in OOXML_KINDS:
            if part in names:
                return kind, media_type
    raise _refused(name, lang)


def _refused(name: str, lang: str) -> EvidenceFileError:
    allowed = ", ".join(ALLOWED_TEXT)
    return EvidenceFileError(
        _say(
            lang,
            f"{name}: この種類のファイルは根拠資料として受け付けられません（受け付けるもの: {allowed}）",
            f"{name}: this kind of file is not accepted as evidence (accepted: {allowed})",
        )
    )


def inspect_upload(data: bytes, raw_name: str, lang: str = "ja") -> EvidenceBlob:
    """Accept or refuse an uploaded file: size first, then its kind from its bytes."""
    name = clean_name(raw_name, lang)
    if len(data) > MAX_EVIDENCE_BYTES:
        limit = MAX_EVIDENCE_BYTES // (1024 * 1024)
        raise EvidenceFileError(
            _say(
                lang,
                f"{name}: ファイルが大きすぎます（上限 {limit} MiB）",
                f"{name}: the file is too large (limit {limit} MiB)",
            )
        )
    if not data:
        raise EvidenceFileError(_say(lang, f"{name}: ファイルが空です", f"{name}: the file is empty"))
    kind, media_type = _kind(data, name, lang)
    return EvidenceBlob(hashlib.sha256(data).hexdigest(), len(data), media_type, kind, name)


class EvidenceFolder:
    """Content-addressed evidence files: ``<root>/<first two hex digits>/<sha256>``, 0600 in 0700 folders."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where a file of this hash is kept; only a well-formed SHA-256 names a path."""
        if not _SHA256.match(sha256):
            raise EvidenceFileError(f"not an evidence file id: {sha256[:80]!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, blob: EvidenceBlob) -> Path:
        """Keep ``data`` (once per content; a damaged copy is replaced)."""
        path = self.path_of(blob.sha256)
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == blob.sha256:
            return path
        private_dir(path.parent)
        atomic_write_bytes(path, data, PRIVATE_FILE)
        return path

    def open(self, sha256: str) -> bytes:
        """A kept file's bytes, after checking they still hash to ``sha256`` (a changed file is never served)."""
        path = self.path_of(sha256)
        try:
            data = path.read_bytes()
        except OSError:
            raise EvidenceFileError(f"evidence file {sha256[:12]} is missing from {self.root}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceFileError(f"evidence file {sha256[:12]} was changed on disk; restore it from backup")
        return data


def content_disposition(name: str) -> str:
    """An ``attachment`` header value: an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name) or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"
