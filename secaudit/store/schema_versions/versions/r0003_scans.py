"""Revision 0003_scans: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0003_scans"
down_revision = "0002_answers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
