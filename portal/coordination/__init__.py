"""Coordination: intake rounds, people, the applications list, exports, bulk mail, the dashboard, the outbox."""
