"""The administrators' audit log: every recorded event, searchable by person, action, object and time."""
