"""Revision 0050_dashboard_cache: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0050_dashboard_cache"
down_revision = "0040_drift"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
