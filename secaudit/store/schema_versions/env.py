"""Alembic's environment for secaudit's store: it migrates the connection the opening ``Store`` hands over,
inside that connection's transaction (all pending migrations or none)."""

from alembic import context

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=None,
    render_as_batch=True,  # SQLite alters tables in batch mode (copy and move), PostgreSQL in place
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
