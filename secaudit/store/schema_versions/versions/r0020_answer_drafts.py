"""Revision 0020_answer_drafts: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0020_answer_drafts"
down_revision = "0010_nmap_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
