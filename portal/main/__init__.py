"""Public pages, the role dashboards, the language switcher and the health check."""
