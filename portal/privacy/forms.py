"""No forms: the purge is asked for and confirmed on the command line (portal/cli.py)."""
