"""Revision 0031_risks: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0031_risks"
down_revision = "0030_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
