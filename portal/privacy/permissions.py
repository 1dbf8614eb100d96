"""No object rules: only an operator with access to the server runs a purge (`flask portal purge`, portal/cli.py)."""
