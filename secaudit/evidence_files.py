"""Evidence files uploaded by service owners: which are accepted, under what name, and where they are kept.

An upload is judged by its content, never by its name: a short allow-list of kinds recognised by their first
bytes, each served back with one fixed media type. The name is cleaned for display and download only; the
file is kept under its SHA-256, so no name ever reaches a path. The portal still caps the request body before
calling ``inspect_upload`` and sends ``X-Content-Type-Options: nosniff`` with every download.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from urllib.parse import quote

from secaudit.atomic import PRIVATE_FILE, WriteFailure, atomic_write_bytes, private_dir
from secaudit.errors import EnvironmentFailure, InputError
from secaudit.workbook_guard import UNREADABLE_ZIP

_MIB = 1024 * 1024
MAX_EVIDENCE_BYTES = 20 * _MIB
MAX_NAME_CHARS = 200
MAX_ZIP_ENTRIES = 2000
MARKUP_WINDOW_CHARS = 4096
"""How far into a text file markup is looked for: browsers that sniff look at the first 512 bytes or so."""
_MAX_EXTENSION_CHARS = 16
"""A longer tail after the last dot is part of the name, not an extension worth keeping when trimming."""


@dataclass(frozen=True)
class EvidenceKind:
    """One kind of evidence accepted: the one media type it is served with, and its name for people."""

    media_type: str
    label_ja: str
    label_en: str


_OFFICE = "application/vnd.openxmlformats-officedocument"
EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    "pdf": EvidenceKind("application/pdf", "PDF", "PDF"),
    "png": EvidenceKind("image/png", "PNG", "PNG"),
    "jpeg": EvidenceKind("image/jpeg", "JPEG", "JPEG"),
    "xlsx": EvidenceKind(f"{_OFFICE}.spreadsheetml.sheet", "Excel（.xlsx）", "Excel (.xlsx)"),
    "docx": EvidenceKind(f"{_OFFICE}.wordprocessingml.document", "Word（.docx）", "Word (.docx)"),
    "pptx": EvidenceKind(f"{_OFFICE}.presentationml.presentation", "PowerPoint（.pptx）", "PowerPoint (.pptx)"),
    "text": EvidenceKind("text/plain; charset=utf-8", "テキスト（UTF-8）", "plain text (UTF-8)"),
    # Kept as sent; browsers read the Shift_JIS label as Windows-31J, the cp932 it is decoded with here.
    "text-shift_jis": EvidenceKind("text/plain; charset=shift_jis", "テキスト（Shift_JIS）", "plain text (Shift_JIS)"),
}
_SIGNATURES = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"))
_OOXML_MAIN_PARTS = {"xl/workbook.xml": "xlsx", "word/document.xml": "docx", "ppt/presentation.xml": "pptx"}
_TEXT_CODECS = (("utf-8", "text"), ("cp932", "text-shift_jis"))
_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_DIRECTORY_ENTRY = b"PK\x01\x02"
_EXECUTABLE_MAGIC = (b"\x7fELF", b"MZ")
_MARKUP = re.compile(r"<(?:script|html|svg|!doctype\s+html)", re.IGNORECASE)
_MACRO_PART = re.compile(r"vbaProject[^/]*\.bin$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/\\]")
_LEADING_JUNK = re.compile(r"^[\s.]+")
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
"""Control characters (C0, DEL, C1), lone surrogates and line or paragraph separators."""
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Refusal(Enum):
    """Why an upload was refused."""

    TOO_LARGE = "too-large"
    EMPTY = "empty"
    TYPE_NOT_ALLOWED = "type-not-allowed"
    MACROS = "macros"
    NAME_UNUSABLE = "name-unusable"


_REASONS: dict[Refusal, tuple[str, str]] = {
    Refusal.TOO_LARGE: (
        f"ファイルが大きすぎます（上限 {MAX_EVIDENCE_BYTES // _MIB} MiB）。",
        f"the file is too large (limit {MAX_EVIDENCE_BYTES // _MIB} MiB)",
    ),
    Refusal.EMPTY: ("ファイルが空です。", "the file is empty"),
    Refusal.TYPE_NOT_ALLOWED: (
        "この種類のファイルは受け付けていません。受け付けるのは "
        + "、".join(kind.label_ja for kind in EVIDENCE_KINDS.values())
        + "です。",
        "files of this type are not accepted; accepted types are "
        + ", ".join(kind.label_en for kind in EVIDENCE_KINDS.values()),
    ),
    Refusal.MACROS: (
        "マクロを含む文書は受け付けていません。マクロを含まない形式（.xlsx、.docx、.pptx）で保存し直してください。",
        "documents with macros are not accepted; save it without macros (.xlsx, .docx, .pptx)",
    ),
    Refusal.NAME_UNUSABLE: (
        "ファイル名を使用できません。ファイル名を変更してから、もう一度アップロードしてください。",
        "the file name cannot be used; rename the file and upload it again",
    ),
}


class EvidenceFileError(InputError):
    """An upload was refused, in the uploader's language (``lang`` "en", else Japanese), naming the file (exit 2)."""

    def __init__(self, file: str, refusal: Refusal, lang: str) -> None:
        ja, en = _REASONS[refusal]
        super().__init__(f'"{file}": {en}' if lang == "en" else f"「{file}」: {ja}")
        self.file = file
        self.refusal = refusal


class EvidenceNotFound(InputError):
    """No evidence is kept under that id, or the id is not a SHA-256 at all (exit 2)."""


class EvidenceDamaged(EnvironmentFailure):
    """A kept evidence file cannot be read or no longer matches its SHA-256; it is never served (exit 3)."""


@dataclass(frozen=True)
class EvidenceBlob:
    """An accepted upload: its SHA-256, size, kind, the media type it is served with and its cleaned name."""

    sha256: str
    size: int
    media_type: str
    kind: str
    name: str


def clean_name(raw: str, lang: str = "ja") -> str:
    """The name to show and offer for download, made from the one a browser sent; EvidenceFileError if none is left.

    Keeps the last path component (``/`` or ``\\``), drops control and bidi characters, NFC-normalises, strips
    leading dots and whitespace and trims to MAX_NAME_CHARS keeping the extension. Markup such as
    ``<script>.pdf`` is kept as text: escaping it is the job of whatever renders the name.
    """
    kept = "".join(char for char in raw if not _is_dropped(char))
    name = unicodedata.normalize("NFC", _SEPARATORS.split(kept)[-1])
    name = _LEADING_JUNK.sub("", name).rstrip()
    if len(name) > MAX_NAME_CHARS:
        _, dot, extension = name.rpartition(".")
        keep = dot + extension if dot and len(extension) <= _MAX_EXTENSION_CHARS else ""
        name = name[: MAX_NAME_CHARS - len(keep)].rstrip() + keep
    if not name:
        shown = "".join(f"\\u{ord(char):04x}" if _is_dropped(char) else char for char in raw)
        raise EvidenceFileError(shown[:MAX_NAME_CHARS], Refusal.NAME_UNUSABLE, lang)
    return name


def _is_dropped(char: str) -> bool:
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _DROPPED_CATEGORIES


def inspect_upload(data: bytes, raw_name: str, lang: str) -> EvidenceBlob:
    """What ``data`` uploaded as ``raw_name`` is, if it is a kind accepted; else EvidenceFileError in ``lang``."""
    name = clean_name(raw_name, lang)
    if not data:
        raise EvidenceFileError(name, Refusal.EMPTY, lang)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise EvidenceFileError(name, Refusal.TOO_LARGE, lang)
    kind = _kind_of(data)
    if isinstance(kind, Refusal):
        raise EvidenceFileError(name, kind, lang)
    return EvidenceBlob(hashlib.sha256(data).hexdigest(), len(data), EVIDENCE_KINDS[kind].media_type, kind, name)


def _kind_of(data: bytes) -> str | Refusal:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    if data.startswith(_ZIP_MAGIC):
        return _ooxml_kind(data)
    # Real executables contain NUL bytes as well; they are refused by name so the intent does not rest on that.
    if data.startswith(_EXECUTABLE_MAGIC) or b"\x00" in data:
        return Refusal.TYPE_NOT_ALLOWED
    for codec, kind in _TEXT_CODECS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        return Refusal.TYPE_NOT_ALLOWED if _MARKUP.search(text[:MARKUP_WINDOW_CHARS]) else kind
    return Refusal.TYPE_NOT_ALLOWED


def _ooxml_kind(data: bytes) -> str | Refusal:
    """The OOXML kind of a zip package, from the names of its parts alone; nothing is extracted."""
    # zipfile refuses a directory entry without this signature, so counting it bounds the entries before
    # zipfile builds one object per entry: 20 MiB of directory would be half a million of them.
    if data.count(_ZIP_DIRECTORY_ENTRY) > MAX_ZIP_ENTRIES:
        return Refusal.TYPE_NOT_ALLOWED
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except UNREADABLE_ZIP:  # zipfile's own exceptions (workbook_guard's one list); nothing here is unimplemented
        return Refusal.TYPE_NOT_ALLOWED
    if "[Content_Types].xml" not in names:
        return Refusal.TYPE_NOT_ALLOWED
    if any(_MACRO_PART.search(name) for name in names):
        return Refusal.MACROS
    kinds = [kind for part, kind in _OOXML_MAIN_PARTS.items() if part in names]
    return kinds[0] if len(kinds) == 1 else Refusal.TYPE_NOT_ALLOWED


def content_disposition(name: str) -> str:
    """A Content-Disposition value offering ``name`` as an attachment: an ASCII fallback and the RFC 5987 form."""
    # Outside printable ASCII, quotes and backslashes would break the quoted string; some browsers decode '%'.
    fallback = "".join(char if " " <= char <= "~" and char not in '"\\%' else "_" for char in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='', errors='replace')}"


class EvidenceFolder:
    """Accepted evidence kept by content: ``root/<sha[:2]>/<sha>``, files 0600 in folders 0700."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        """Where the evidence with this SHA-256 is kept; EvidenceNotFound unless it is 64 lowercase hex digits."""
        if not _SHA256.fullmatch(sha256):
            raise EvidenceNotFound(f"not an evidence file id: {sha256[:80]!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes, blob: EvidenceBlob) -> Path:
        """Keep ``data`` under its SHA-256 and return the path; an intact copy already there is left as it is.

        ``blob`` is what ``inspect_upload`` said of ``data``; ValueError if it describes other bytes.
        """
        if hashlib.sha256(data).hexdigest() != blob.sha256:
            raise ValueError("the blob does not describe these bytes")
        path = self.path_of(blob.sha256)
        try:
            intact = hashlib.sha256(_read_kept(path)).hexdigest() == blob.sha256
        except OSError:
            intact = False
        if not intact:
            try:
                private_dir(private_dir(self.root) / blob.sha256[:2])
            except OSError as exc:
                raise WriteFailure(f"cannot create {path.parent}: {exc.strerror or exc}") from exc
            atomic_write_bytes(path, data, PRIVATE_FILE)
        return path

    def open(self, sha256: str) -> bytes:
        """The bytes kept under ``sha256``, checked against it: EvidenceNotFound, or EvidenceDamaged if they changed."""
        path = self.path_of(sha256)
        try:
            data = _read_kept(path)
        except FileNotFoundError:
            raise EvidenceNotFound(f"no evidence file {sha256}") from None
        except OSError as exc:
            raise EvidenceDamaged(f"cannot read {path}: {exc.strerror or exc}") from exc
        if hashlib.sha256(data).hexdigest() != sha256:
            raise EvidenceDamaged(f"{path} no longer matches its SHA-256 (changed or damaged); it is not served")
        return data


def _read_kept(path: Path) -> bytes:
    """The kept bytes, read to one byte past the largest accepted file: enough to tell a grown file apart."""
    with path.open("rb") as handle:
        return handle.read(MAX_EVIDENCE_BYTES + 1)


EVIDENCE_REF = re.compile(r"\[(ev-[0-9a-f]{12})\]")
"""How an answer's evidence text names an uploaded file: ``[ev-1a2b3c4d5e6f]`` (the portal writes it; a
workbook's evidence cell may too)."""


def new_evidence_id() -> str:
    """A fresh evidence file id: ``ev-`` and 12 hex digits."""
    import secrets

    return f"ev-{secrets.token_hex(6)}"


def references(text: str | None) -> list[str]:
    """The evidence file ids an evidence text names, in order, each once."""
    return list(dict.fromkeys(EVIDENCE_REF.findall(text or "")))
