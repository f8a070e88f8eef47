"""Persistence: the only part of secaudit that opens the database.

Also home of the atomic file-write helpers every writer of reports,
workbooks and archives uses.

Names are imported on first use (PEP 562), so that ``secaudit.store.readonly``
(standard-library ``sqlite3`` only) can be used without loading SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from secaudit.atomic import atomic_write_bytes, atomic_write_text, private_dir
    from secaudit.store.db import Store, open_store

_HOMES = {
    "atomic_write_bytes": "secaudit.atomic",
    "atomic_write_text": "secaudit.atomic",
    "private_dir": "secaudit.atomic",
    "Store": "secaudit.store.db",
    "open_store": "secaudit.store.db",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'secaudit.store' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


__all__ = ["Store", "atomic_write_bytes", "atomic_write_text", "open_store", "private_dir"]
