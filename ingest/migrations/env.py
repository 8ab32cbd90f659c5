"""Alembic environment: kefu runs migrations in code (ingest.db.upgrade) on the connection it passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
