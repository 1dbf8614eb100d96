"""The main pages are public or open to any signed-in person (declared on each view); what a dashboard shows is
decided by the permissions of the domain that owns each object."""
