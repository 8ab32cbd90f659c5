"""Alembic migrations of the api package (branch "api"); found through the kefu.migrations entry point."""
