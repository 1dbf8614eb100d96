"""Who may search: the coordinators (the view's `@coordinator_only`); each hit links to a page that checks its own."""
