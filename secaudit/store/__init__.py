"""Persistence: the only part of secaudit that opens the database.

Also home of the atomic file-write helpers every writer of reports,
workbooks and archives uses.
"""

from secaudit.atomic import atomic_write_bytes, atomic_write_text, private_dir
from secaudit.store.db import Store, open_store, utcnow

__all__ = ["Store", "atomic_write_bytes", "atomic_write_text", "open_store", "private_dir", "utcnow"]
