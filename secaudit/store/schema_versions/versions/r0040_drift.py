"""Revision 0040_drift: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0040_drift"
down_revision = "0031_risks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
