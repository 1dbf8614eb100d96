"""Messages to people: mail to groups of applicants and the administrators' outbox page (top of the layers).

The outbox mechanism itself, which every domain writes to, is in portal/core/outbox.py and portal/core/delivery.py.
"""
