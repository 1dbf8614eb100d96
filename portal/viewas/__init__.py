"""View-as: an administrator sees the portal as a given person, read only."""
