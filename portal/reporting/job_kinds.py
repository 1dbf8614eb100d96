"""The kinds of background export: each names the function that writes its file, its label and the roles it needs.

A kind is made known with `register_kind` (portal/reporting/background.py registers the portal's own), so that the web
server and the worker know it alike. Its function `run(context, target) -> JobOutput` reads, writes the file to
target, reports progress with `context.progress(done, total)` between units of work, and leaves database writes such
as audit events to the output's `on_done`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from portal.core.roles import Role

if TYPE_CHECKING:
    from portal.reporting.job_runs import JobContext

# Who may start and download a job of an unknown kind (one removed since it was started).
DEFAULT_ROLES = frozenset({str(Role.COORDINATOR)})


@dataclass(frozen=True)
class JobOutput:
    """What a job kind produced: the file it wrote to its target is offered under filename.

    A kind writes nothing to the database while it runs (it only reads); what it has to record (audit events) it does
    in on_done, which runs in the transaction that marks the job done.
    """

    filename: str
    mimetype: str
    on_done: Callable[[], None] | None = None


JobRun = Callable[["JobContext", IO[bytes]], JobOutput]


@dataclass(frozen=True)
class JobKind:
    name: str
    label: Any  # a lazy text
    run: JobRun
    roles: frozenset[str]  # the roles needed to start the job and, later, to download its result


KINDS: dict[str, JobKind] = {}


def register_kind(name: str, label: Any, run: JobRun, *, roles: Iterable[Role | str] = (Role.COORDINATOR,)) -> JobKind:
    """Make a kind of job known (to the web server and the worker alike)."""
    kind = JobKind(name, label, run, frozenset(str(role) for role in roles))
    KINDS[name] = kind
    return kind


def kind_label(job: Any) -> str:
    """The job's kind as its owner reads it."""
    kind = KINDS.get(job.kind)
    return str(kind.label) if kind else job.kind


def roles_for(name: str) -> frozenset[str]:
    """The roles a job of this kind needs."""
    kind = KINDS.get(name)
    return kind.roles if kind else DEFAULT_ROLES
