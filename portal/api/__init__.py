"""The read-only REST API v1 (applications, decisions, people, rounds) and the personal access tokens that open it."""
