"""People: accounts and invitations, roles, activation, supervisor profiles, committee seats, the supervisor import."""
