"""The search keeps nothing of its own: it reads the applications', the accounts' and the referees' tables."""
