"""The coordinators' dashboard (a round's numbers); where things stand for applicants and supervisors."""
