"""Revision 0030_reviews: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0030_reviews"
down_revision = "0020_answer_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
