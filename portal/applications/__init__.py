"""Applications: intake rounds and the applicant's multi-step application."""
