"""The coordinators' dashboard: a round's numbers as charts and tables."""
