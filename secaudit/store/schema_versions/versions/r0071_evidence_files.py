"""Revision 0071_evidence_files: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0071_evidence_files"
down_revision = "0070_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
