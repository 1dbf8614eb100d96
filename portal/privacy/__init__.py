"""Privacy: data retention, the purge of not-admitted applicants' data after the release period."""
