"""No object rules: rounds are the coordinators' alone, as the role decorator on every page says."""
