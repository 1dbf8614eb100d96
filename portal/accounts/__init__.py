"""Accounts: registration, sign-in, roles, email confirmation, password reset, preferences."""
