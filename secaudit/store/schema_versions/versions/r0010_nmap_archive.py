"""Revision 0010_nmap_archive: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0010_nmap_archive"
down_revision = "0003_scans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
