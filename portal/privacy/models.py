"""No models of its own: a purge deletes other domains' records and records itself in the audit log (core/audit)."""
