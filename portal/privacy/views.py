"""No pages: the purge runs from the command line (`flask portal purge --round NAME`, portal/cli.py)."""
