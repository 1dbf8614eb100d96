"""No object rules: the dashboard is the coordinators', as the role decorator on its page says."""
