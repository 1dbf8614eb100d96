"""No models of its own: OutboxEmail lives in portal/core/outbox.py, where every domain writes its emails."""
