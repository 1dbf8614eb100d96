"""Notifications: emails written to an outbox in the request's transaction, delivered by a worker."""
