"""Revision 0070_portal: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0070_portal"
down_revision = "0063_evidence_ja"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
