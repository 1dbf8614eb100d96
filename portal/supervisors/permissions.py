"""The directory is public, and a supervisor changes only their own profile (`services.profile_of(current_user)`):
no object here needs a permission of its own. Who sees an application is portal.applications.permissions' answer."""
