"""No models of its own: accounts and roles live in accounts/models.py, supervisor profiles in supervisors/models.py,
committee seats (CommitteeMember) in review/models.py; this domain administers them."""
