"""Revision 0062_risk_weakness: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0062_risk_weakness"
down_revision = "0061_outbox_gave_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
