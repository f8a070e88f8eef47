"""Revision 0002_answers: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0002_answers"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
