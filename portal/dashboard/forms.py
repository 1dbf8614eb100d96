"""No forms: the round chooser is a plain GET form in templates/dashboard/index.html."""
