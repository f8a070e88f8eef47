"""Revision 0060_outbox_repeat_key: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0060_outbox_repeat_key"
down_revision = "0050_dashboard_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
