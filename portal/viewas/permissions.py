"""Who may view as whom: administrators only (the role decorator), never as another administrator or themselves
(`services.viewable`); while viewing as, every request is read-only (`guard`)."""

from __future__ import annotations

from portal.viewas.services import viewable

__all__ = ["viewable"]
