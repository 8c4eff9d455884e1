"""Revision scripts, applied in order by storage.db.upgrade()."""
