"""Alembic migrations of the archive (run through storage.db; see env.py)."""
