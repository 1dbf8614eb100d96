"""Accounts need no object permission of their own: each view declares its role with the decorators of
portal.core.permissions, and an emailed link is checked by `services.usable_token`."""
