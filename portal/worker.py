"""The background worker's entry point, standing on top like the factory: `huey_consumer portal.worker.huey` loads
every domain's tasks and kinds of job, so that the worker knows whatever the web server may queue."""

from __future__ import annotations

from portal.core.jobs import huey
from portal.reporting import background, jobs  # noqa: F401 - the export tasks and the kinds of background export

__all__ = ["huey"]
