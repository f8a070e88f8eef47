"""Revision 0072_sensors: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0072_sensors"
down_revision = "0071_evidence_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
