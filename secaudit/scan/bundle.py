"""Signed result bundles: a scan made on a sensor in a separated zone, carried to the central workspace.

A bundle is one JSON file: the format, the sensor's name, the payload (base64 of canonical JSON:
the run, its observations, its facts and raw nmap XML, the service it was for, when it was made) and
an Ed25519 signature over ``FORMAT + "\\n" + payload``. Nothing in it is trusted before the
signature is checked against the key the central workspace trusts for that sensor name.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from secaudit.errors import InputError

FORMAT = "secaudit-bundle/1"
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_ITEMS = 200_000
"""Observations, facts and nmap outputs together: far above any real run, far below what hurts."""
MAX_AGE = dt.timedelta(days=7)
"""A bundle older than this is refused: carried by hand, a week is enough, and a stale run misleads drift."""
CLOCK_SKEW = dt.timedelta(minutes=10)


class BundleError(InputError):
    """A bundle that is not accepted: malformed, unsigned, tampered, untrusted, stale, replayed or out of scope."""


@dataclass(frozen=True)
class Bundle:
    """A bundle whose signature has been checked: who made it, and what it carries."""

    sensor: str
    sha256: str
    payload: dict[str, Any]

    @property
    def created_at(self) -> dt.datetime:
        """When the sensor wrote the bundle (as the sensor says; checked for freshness)."""
        return dt.datetime.fromisoformat(str(self.payload["created_at"]))


KEY_PREFIX = "ed25519:"
"""Starts every public key's text, so that it is never read as an option: base64url may begin with '-'."""


def public_key_text(private_key_pem: bytes) -> str:
    """The public half of a PEM Ed25519 private key, as ``ed25519:`` and 43 characters of base64url (what
    ``sensor trust`` takes)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_key_pem, password=None)
    return key_text(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def key_text(raw: bytes) -> str:
    """32 raw public-key bytes as ``sensor keygen`` prints them."""
    return KEY_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def new_private_key() -> bytes:
    """A fresh Ed25519 private key, PEM (PKCS#8, unencrypted: the file is 0600 on the sensor)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def parse_public_key(text: str) -> bytes:
    """The 32 raw bytes of a public key as ``sensor keygen`` prints it (keys printed before the ``ed25519:``
    prefix, and trusted as such, are read too); BundleError otherwise."""
    body = text.strip().removeprefix(KEY_PREFIX)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        shown = f"{text[:60]!r}"
        raise BundleError(f"PUBLIC_KEY: {shown} is not a sensor's public key (ed25519: and 43 characters, from keygen)")
    return raw


def seal(payload: dict[str, Any], sensor: str, private_key_pem: bytes) -> bytes:
    """The bundle file for ``payload``, signed with the sensor's key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError("the sensor key is not an Ed25519 key (make one with secaudit sensor keygen)")
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
    signature = key.sign(FORMAT.encode() + b"\n" + body)
    document = {
        "format": FORMAT,
        "sensor": sensor,
        "payload": base64.b64encode(body).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }
    return json.dumps(document, indent=1).encode()


def open_bundle(data: bytes, file: str, trusted_key: Any) -> Bundle:
    """Check a bundle's form and signature: ``trusted_key(sensor_name)`` gives the 32-byte public key the
    workspace trusts for that sensor, or None. BundleError naming the file and the reason otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{file}: the bundle is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB")
    document = _json(data, file)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BundleError(f"{file}: not a secaudit result bundle (format {FORMAT})")
    sensor, payload_text, signature_text = (document.get(k) for k in ("sensor", "payload", "signature"))
    if not isinstance(sensor, str) or not isinstance(payload_text, str):
        raise BundleError(f"{file}: the bundle names no sensor or carries no payload")
    if not isinstance(signature_text, str) or not signature_text:
        raise BundleError(f"{file}: the bundle is not signed")
    key = trusted_key(sensor)
    if key is None:
        raise BundleError(f"{file}: sensor {sensor[:64]!r} is not trusted here (secaudit sensor trust NAME KEY)")
    try:
        body = base64.b64decode(payload_text, validate=True)
        signature = base64.b64decode(signature_text, validate=True)
        Ed25519PublicKey.from_public_bytes(key).verify(signature, FORMAT.encode() + b"\n" + body)
    except (binascii.Error, ValueError, InvalidSignature):
        raise BundleError(
            f"{file}: the signature does not match sensor {sensor!r}'s trusted key: changed after signing, "
            "or signed by another key"
        ) from None
    payload = _json(body, file)
    if not isinstance(payload, dict) or payload.get("sensor") != sensor:
        raise BundleError(f"{file}: the signed payload is not a bundle of sensor {sensor!r}")
    for name, kind in (("run", dict), ("observations", list), ("facts", list), ("nmap_xml", list), ("service", dict)):
        if not isinstance(payload.get(name), kind):
            raise BundleError(f"{file}: the payload has no valid '{name}'")
    if sum(len(payload[name]) for name in ("observations", "facts", "nmap_xml")) > MAX_ITEMS:
        raise BundleError(f"{file}: the bundle carries more than {MAX_ITEMS} items")
    try:
        dt.datetime.fromisoformat(str(payload.get("created_at")))
    except ValueError:
        raise BundleError(f"{file}: the payload has no valid 'created_at'") from None
    return Bundle(sensor, hashlib.sha256(data).hexdigest(), payload)


def _json(data: bytes, file: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BundleError(f"{file}: not a secaudit result bundle (unreadable JSON)") from None


def check_fresh(bundle: Bundle, file: str, now: dt.datetime) -> None:
    """Refuse a bundle made more than MAX_AGE ago, or in the future beyond clock skew."""
    made = bundle.created_at
    if made.tzinfo is None:
        raise BundleError(f"{file}: the bundle's time has no UTC offset")
    if made > now + CLOCK_SKEW:
        raise BundleError(f"{file}: the bundle was made in the future ({made.isoformat()}); check the sensor's clock")
    if now - made > MAX_AGE:
        raise BundleError(f"{file}: the bundle is older than {MAX_AGE.days} days ({made.isoformat()}); scan again")
