"""Review: supervisors' statements, the committee's assignments, conflicts, reviews, ranking and decisions."""
