"""Supervisors: the nine universities and the supervisor directory that applications choose from."""
