"""The main pages keep no data of their own: they show what the domains below them hold."""
