"""Revision 0061_outbox_gave_up: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0061_outbox_gave_up"
down_revision = "0060_outbox_repeat_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
