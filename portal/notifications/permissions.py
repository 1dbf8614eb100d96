"""No object rules: mail to applicants is the coordinators', the outbox the administrators' (the role decorators)."""
