"""Backups of the database and of PORTAL_DATA_DIR with a manifest of checksums, and their verified restore."""
