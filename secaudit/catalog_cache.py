"""A workspace's catalog, remembered after it was read and checked once.

Reading the checklists and scanner files with line tracking and validating
every control takes about 0.2 s, on every command. Once a set of files has
loaded without a problem, the validated content is kept as JSON in
``.secaudit/catalog-cache.json`` (0600) under a key made of the files' paths
and bytes, the secaudit version and the source of the code that reads them.
A later command whose files and code are byte for byte the same rebuilds the
catalog from that JSON, validating every entry again through the same models.
Anything else (an edited file, a new file, another version, a damaged or
unreadable cache) and the files are read as usual and the cache is replaced.
The cache holds only what the files say; deleting it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secaudit import __version__
from secaudit.catalog import Catalog, Layer, load_catalog
from secaudit.errors import Problem

CACHE_NAME = "catalog-cache.json"
FORMAT = "1"
_CODE = ("catalog.py", "catalog_cache.py", "yamlsource.py", "model")


def cached_catalog(layers: Sequence[Layer], data_dir: Path | None) -> Catalog:
    """``load_catalog(layers)``, through the cache in ``data_dir`` when that folder exists."""
    if data_dir is None or not data_dir.is_dir():
        return load_catalog(layers)
    path = data_dir / CACHE_NAME
    try:
        key = cache_key(layers)
    except OSError:
        return load_catalog(layers)  # a file went missing: let the loader name it
    restored = _restore(path, key)
    if restored is not None:
        return restored
    catalog = load_catalog(layers)
    _remember(path, key, catalog)
    return catalog


def cache_key(layers: Sequence[Layer]) -> str:
    """A digest of every file of every layer (path and bytes), this version, and the code that reads them."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0".encode())
    for layer in layers:
        digest.update(b"L\0" + layer.name.encode() + b"\0")
        for file in layer.files:
            digest.update(str(file.resolve()).encode() + b"\0" + file.read_bytes() + b"\0")
    package = Path(__file__).resolve().parent
    for name in _CODE:
        target = package / name
        for source in sorted(target.glob("*.py")) if target.is_dir() else [target]:
            digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _dump(catalog: Catalog) -> dict[str, Any]:
    def models(entries: dict[str, Any]) -> dict[str, Any]:
        return {k: v.model_dump(mode="json", by_alias=True, exclude_unset=True) for k, v in entries.items()}

    return {
        "checklists": models(catalog.checklists),
        "controls": models(catalog.controls),
        "control_checklist": catalog.control_checklist,
        "checks": models(catalog.checks),
        "profiles": models(catalog.profiles),
        "retired": models(catalog.retired),
        "retired_checklist": catalog.retired_checklist,
        "origins": catalog.origins,
        "overrides": [[p.location, p.message] for p in catalog.overrides],
        "digest": catalog.digest,
    }


def _load(data: dict[str, Any]) -> Catalog:
    from secaudit.model import Check, ChecklistInfo, Control, Profile
    from secaudit.model.control import RetiredControl

    return Catalog(
        checklists={k: ChecklistInfo.model_validate(v) for k, v in data["checklists"].items()},
        controls={k: Control.model_validate(v) for k, v in data["controls"].items()},
        control_checklist={str(k): str(v) for k, v in data["control_checklist"].items()},
        checks={k: Check.model_validate(v) for k, v in data["checks"].items()},
        profiles={k: Profile.model_validate(v) for k, v in data["profiles"].items()},
        retired={k: RetiredControl.model_validate(v) for k, v in data["retired"].items()},
        retired_checklist={str(k): str(v) for k, v in data["retired_checklist"].items()},
        origins={str(k): str(v) for k, v in data["origins"].items()},
        overrides=[Problem(str(location), str(message)) for location, message in data["overrides"]],
        digest=str(data["digest"]),
    )


def _restore(path: Path, key: str) -> Catalog | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return _load(data["catalog"])
    except Exception:  # noqa: BLE001  (a damaged cache is only a slower start: read the files instead)
        return None


def _remember(path: Path, key: str, catalog: Catalog) -> None:
    from secaudit.atomic import atomic_write_bytes
    from secaudit.errors import SecauditError

    body = json.dumps({"key": key, "catalog": _dump(catalog)}, ensure_ascii=False).encode("utf-8")
    with contextlib.suppress(SecauditError):  # a full disk or a read-only workspace: the next start is slower
        atomic_write_bytes(path, body, mode=0o600)


__all__ = ["CACHE_NAME", "cache_key", "cached_catalog"]
