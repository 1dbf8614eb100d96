"""No models of its own: the dashboard counts other domains' records, in aggregate queries (services.py)."""
