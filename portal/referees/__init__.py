"""Referees: invitations with a secret link and confidential letters of recommendation."""
