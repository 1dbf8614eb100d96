"""Sections other domains add to the application's status page (the offer of a place: portal.offers), registered by
the factory; each gives the template to include and what it shows, or None when it has nothing for the viewer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.applications.models import Application


@dataclass(frozen=True)
class StatusPanel:
    """A section of the status page: its template, which reads what it shows from `panel.context`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


_PANELS: list[Callable[[Application], StatusPanel | None]] = []


def add_status_panel(build: Callable[[Application], StatusPanel | None]) -> None:
    """Show build(application) on the status page (registered once)."""
    if build not in _PANELS:
        _PANELS.append(build)


def status_panels(application: Application) -> list[StatusPanel]:
    """The registered sections that have something to show on this application's status page."""
    built = (build(application) for build in _PANELS)
    return [panel for panel in built if panel is not None]
