"""The audit log is the administrators' alone (the `admin_only` decorator on its view); it has no object of its own
to check: an application's history, for coordinators, lives with the review domain (review/history.py)."""
