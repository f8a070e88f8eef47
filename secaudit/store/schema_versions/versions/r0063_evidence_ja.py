"""Revision 0063_evidence_ja: what it does is ``secaudit.store.migrations.MIGRATIONS``' step of that name."""

from secaudit.store.migrations import apply_revision

revision = "0063_evidence_ja"
down_revision = "0062_risk_weakness"
branch_labels = None
depends_on = None


def upgrade() -> None:
    apply_revision(revision)
