"""Alembic branch "eval": the tables of stored evaluation runs (found via the kefu.migrations entry point)."""
