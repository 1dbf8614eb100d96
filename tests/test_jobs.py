"""Background jobs: the ExportJob lifecycle, the queue (persisted, filled only after a commit), the dossier ZIP and the
Excel workbook as jobs, owner-only job pages and downloads, retries, interrupted and lost runs, old results."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from huey.storage import RedisStorage, SqliteStorage
from pypdf import PdfReader
from sqlalchemy import select

from portal import db
from portal.accounts.models import User, UserRole
from portal.applications.models import ApplicationState
from portal.core import jobs as job_queue
from portal.core import pdf, storage
from portal.core.audit import AuditEvent
from portal.core.roles import Role
from portal.core.timeutil import utcnow
from portal.reporting import dossiers, exports, job_kinds, job_runs, jobs
from portal.reporting.models import ExportJob, JobState
from tests.conftest import cover_pages, sign_in
from tests.factories import ApplicationFactory, IntakeRoundFactory, UserFactory, submitted_application

OK_KIND, FAILING_KIND = "test_ok", "test_failing"


# --- Fixtures ------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def queue(tmp_path) -> Iterator[SqliteStorage]:
    """The queue in a SQLite file of its own (as a real worker would read it), never the development one."""
    previous_storage, previous_immediate = job_queue.huey.storage, job_queue.huey.immediate
    job_queue.huey.immediate = False
    storage_ = SqliteStorage(job_queue.QUEUE_NAME, filename=str(tmp_path / "huey.sqlite3"))
    job_queue.huey.storage = storage_
    try:
        yield storage_
    finally:
        storage_.close()
        job_queue.huey.immediate = previous_immediate
        job_queue.huey.storage = previous_storage


@pytest.fixture
def immediate(queue) -> Iterator[None]:
    """Huey's immediate mode: a job runs as soon as it is queued (after the request that created it)."""
    job_queue.huey.immediate = True
    try:
        yield
    finally:
        job_queue.huey.immediate = False
        job_queue.huey.storage = queue


@pytest.fixture
def cjk_font(app):
    """The PDF font must be installed: a clear failure (naming the package) instead of a skip when it is not."""
    with app.app_context():
        try:
            return pdf.find_cjk_font()
        except pdf.FontMissing as error:
            pytest.fail(str(error))


@pytest.fixture
def every_progress(monkeypatch) -> None:
    monkeypatch.setattr(job_runs, "PROGRESS_INTERVAL_SECONDS", 0)


@dataclass
class Snapshots:
    """The job's row as stored, each time the test kind looks at it while running."""

    seen: list[tuple[JobState, int, int]]


def _stored(job_id: int) -> tuple[JobState, int, int]:
    row = db.session.execute(
        select(ExportJob.state, ExportJob.progress_done, ExportJob.progress_total).where(ExportJob.id == job_id)
    ).one()
    return (row.state, row.progress_done, row.progress_total)


@pytest.fixture
def test_kinds() -> Iterator[Snapshots]:
    """Two kinds of job for the tests: one writes "item 1…n" with progress, the other fails half-way."""
    snapshots = Snapshots([])

    def ok(context: job_runs.JobContext, target) -> job_kinds.JobOutput:
        items = int(context.parameters["items"])
        context.progress(0, items, force=True)
        snapshots.seen.append(_stored(context.job_id))
        for number in range(1, items + 1):
            target.write(f"item {number}\n".encode())
            context.progress(number)
            snapshots.seen.append(_stored(context.job_id))
        return job_kinds.JobOutput("items.txt", "text/plain")

    def failing(context: job_runs.JobContext, target) -> job_kinds.JobOutput:
        target.write(b"half a file")
        context.progress(1, 2)
        raise RuntimeError("the printer is on fire")

    job_kinds.register_kind(OK_KIND, "Test items", ok)
    job_kinds.register_kind(FAILING_KIND, "Test failure", failing)
    try:
        yield snapshots
    finally:
        job_kinds.KINDS.pop(OK_KIND, None)
        job_kinds.KINDS.pop(FAILING_KIND, None)


def coordinator(app, **attributes) -> User:
    with app.app_context():
        user = UserFactory(roles=[Role.COORDINATOR], **attributes)
        db.session.commit()
        return user


def new_job(app, owner: User, kind: str = OK_KIND, **parameters) -> int:
    """A queued job (committed: in the queue, except in immediate mode, where the test runs it); its id."""
    with app.app_context():
        job = jobs.create_job(db.session.get(User, owner.id), kind, parameters or {"items": 3}, total=0)
        db.session.commit()
        return job.id


def job_row(job_id: int) -> ExportJob:
    db.session.remove()
    job = db.session.get(ExportJob, job_id)
    assert job is not None
    return job


def work_one(app) -> None:
    """What the worker does with the next task in the queue (in its own application context)."""
    with app.app_context():
        task = job_queue.huey.dequeue()
        assert task is not None
        job_queue.huey.execute(task)


def temporary_files() -> list[str]:
    """The files left in the jobs' temporary folder (call inside an application context)."""
    return sorted(path.name for path in (storage.data_dir() / "tmp").glob("*"))


# --- The lifecycle -------------------------------------------------------------------------------------------------


def test_a_job_goes_from_queued_through_running_to_done_with_its_progress_and_file(
    app, immediate, every_progress, test_kinds
):
    owner = coordinator(app)
    job_id = new_job(app, owner, items=3)
    assert job_row(job_id).state == JobState.QUEUED

    with app.app_context():
        jobs.run_export_job(job_id)  # immediate mode: runs now

    assert test_kinds.seen == [
        (JobState.RUNNING, 0, 3),
        (JobState.RUNNING, 1, 3),
        (JobState.RUNNING, 2, 3),
        (JobState.RUNNING, 3, 3),
    ]
    job = job_row(job_id)
    assert (job.state, job.progress_done, job.progress_total, job.attempts) == (JobState.DONE, 3, 3, 1)
    assert job.started_at is not None and job.finished_at is not None and job.finished_at >= job.started_at
    assert (job.file_name, job.mimetype, job.size_bytes, job.error) == ("items.txt", "text/plain", 21, None)
    with app.app_context():
        assert storage.read_bytes(job.result_key) == b"item 1\nitem 2\nitem 3\n"
        assert temporary_files() == []
    assert job.percent == 100


def test_a_failing_job_records_its_error_and_keeps_no_file(app, immediate, test_kinds, caplog):
    owner = coordinator(app)
    job_id = new_job(app, owner, FAILING_KIND)

    with app.app_context():
        jobs.run_export_job(job_id)
        assert temporary_files() == []

    job = job_row(job_id)
    assert job.state == JobState.FAILED
    assert job.error == "RuntimeError: the printer is on fire"
    assert job.result_key is None and job.file_name is None and job.finished_at is not None
    assert (job.progress_done, job.progress_total) == (1, 2)  # what was reported before the failure stays
    assert "the printer is on fire" in caplog.text


def test_a_job_of_an_unknown_kind_fails_rather_than_hanging(app, immediate):
    owner = coordinator(app)
    with app.app_context():
        job = ExportJob(user_id=owner.id, kind="no_such_kind", parameters={})
        db.session.add(job)
        db.session.commit()
        jobs.run_export_job(job.id)
        job_id = job.id

    job = job_row(job_id)
    assert job.state == JobState.FAILED and "unknown kind of job" in job.error


def test_a_job_runs_only_once_even_if_queued_twice(app, test_kinds, queue):
    owner = coordinator(app)
    job_id = new_job(app, owner, items=1)
    with app.app_context():
        job_queue.huey.enqueue(jobs.run_export_job.s(job_id))
    assert queue.queue_size() == 2

    work_one(app)
    work_one(app)

    job = job_row(job_id)
    assert (job.state, job.attempts) == (JobState.DONE, 1)


# --- The queue -----------------------------------------------------------------------------------------------------


def test_the_job_is_queued_only_once_the_transaction_commits(app, queue, test_kinds):
    owner = coordinator(app)
    with app.test_request_context():
        jobs.create_job(db.session.get(User, owner.id), OK_KIND, {"items": 1})
        assert queue.queue_size() == 0  # not before the commit: the worker would not find the row
        db.session.rollback()
    assert queue.queue_size() == 0
    assert db.session.scalar(select(ExportJob.id)) is None

    job_id = new_job(app, owner, items=1)
    assert queue.queue_size() == 1
    work_one(app)
    assert job_row(job_id).state == JobState.DONE


def test_a_queued_job_survives_a_restart_and_the_worker_uses_its_own_application(
    app, queue, test_kinds, tmp_path, monkeypatch
):
    owner = coordinator(app)
    job_id = new_job(app, owner, items=2)
    queue.close()  # the worker stops…

    restarted = SqliteStorage(job_queue.QUEUE_NAME, filename=str(tmp_path / "huey.sqlite3"))  # …and starts again
    try:
        assert restarted.queue_size() == 1
        job_queue.huey.storage = restarted
        task = job_queue.huey.dequeue()
        # Outside any application context, as in the worker process: the task makes the worker's application.
        monkeypatch.setattr(job_queue, "_worker_app", app)
        job_queue.huey.execute(task)
    finally:
        restarted.close()

    assert job_row(job_id).state == JobState.DONE


def test_the_queue_storage_comes_from_the_environment_and_is_made_on_first_use(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HUEY_REDIS_URL", raising=False)
    local = job_queue.make_storage("portal-test")
    try:
        assert isinstance(local, SqliteStorage)
        assert local.filename == str(tmp_path / "data" / "huey.sqlite3")
        assert (tmp_path / "data" / "huey.sqlite3").is_file()
    finally:
        local.close()

    monkeypatch.setenv("HUEY_REDIS_URL", "redis://127.0.0.1:6379/15")
    shared = job_queue.make_storage("portal-test")
    assert isinstance(shared, RedisStorage)
    assert shared.pool.connection_kwargs["db"] == 15

    made = []
    deferred = job_queue.DeferredStorage("portal-test", lambda name: made.append(name) or local)
    assert made == []  # creating Huey (importing the module) opens nothing
    assert deferred.filename == local.filename
    assert deferred.filename == local.filename
    assert made == ["portal-test"]


# --- Dossiers and the Excel workbook as jobs, through the pages ------------------------------------------------------


def a_round_with_applications(app) -> tuple[int, list[str], User]:
    """A round with two submitted applications and a draft; the round's id, the references, a coordinator."""
    with app.app_context():
        intake = IntakeRoundFactory()
        references = [submitted_application(intake_round=intake).reference for _ in range(2)]
        ApplicationFactory(intake_round=intake)
        user = UserFactory(roles=[Role.COORDINATOR])
        db.session.commit()
        return intake.id, references, user


def test_the_zip_of_dossiers_is_made_in_the_background_with_progress_and_downloaded_by_its_owner(
    app, client, cjk_font, immediate, every_progress, monkeypatch
):
    round_id, references, owner = a_round_with_applications(app)
    sign_in(client, owner)
    seen = []
    report = job_runs.JobContext.progress

    def watched(self, done, total=None, *, force=False):
        report(self, done, total, force=force)
        seen.append(_stored(self.job_id))

    monkeypatch.setattr(job_runs.JobContext, "progress", watched)
    args = {"round": round_id, "state": ApplicationState.SUBMITTED.value}

    page = client.get("/coordination/applications/background-exports", query_string=args)
    assert page.status_code == 200
    assert "2 applications of" in page.get_data(as_text=True)

    response = client.post("/coordination/applications/dossiers.zip", query_string=args)

    assert response.status_code == 302
    job_id = int(re.fullmatch(r"/coordination/jobs/(\d+)", response.headers["Location"]).group(1))
    assert seen == [(JobState.RUNNING, 0, 2), (JobState.RUNNING, 1, 2), (JobState.RUNNING, 2, 2)]
    job = job_row(job_id)
    assert (job.state, job.progress_done, job.progress_total) == (JobState.DONE, 2, 2)
    assert job.parameters["filters"] == {"round": str(round_id), "state": "submitted"}

    page = client.get(f"/coordination/jobs/{job_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Refresh" not in page.headers
    assert re.search(r'<progress id="job-progress"[^>]* max="1" value="1"', html)
    assert f'href="/coordination/jobs/{job_id}/download"' in html

    with client.get(f"/coordination/jobs/{job_id}/download") as download:
        content = download.get_data()
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"] == f"attachment; filename={job.file_name}"
    assert download.headers["Cache-Control"] == "private, no-store"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(entries) == sorted(f"{reference}-dossier.pdf" for reference in references)
    for pdf_content in entries.values():
        reader = PdfReader(io.BytesIO(pdf_content))
        assert len(reader.pages) == cover_pages(reader) + 4  # the four documents of a complete application

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == owner.id)).all()
    assert actions.count(dossiers.DOSSIER_EXPORTED) == 2
    assert actions.count(jobs.JOB_CREATED) == 1 and actions.count(jobs.JOB_DOWNLOADED) == 1


def test_no_job_is_started_when_no_application_matches(app, client, queue):
    round_id, _references, owner = a_round_with_applications(app)
    sign_in(client, owner)

    response = client.post(
        "/coordination/applications/dossiers.zip", query_string={"round": round_id, "state": "decided"}
    )

    assert response.status_code == 302 and "background-exports" in response.headers["Location"]
    assert db.session.scalar(select(ExportJob.id)) is None and queue.queue_size() == 0


def test_the_applications_list_as_an_excel_workbook_in_the_background(app, client, immediate):
    round_id, references, owner = a_round_with_applications(app)
    sign_in(client, owner)

    response = client.post("/coordination/applications/export-in-background.xlsx", query_string={"round": round_id})

    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    job = job_row(job_id)
    assert (job.state, job.progress_done, job.progress_total) == (JobState.DONE, 3, 3)
    assert job.file_name.endswith(".xlsx")
    with client.get(f"/coordination/jobs/{job_id}/download") as download:
        content = download.get_data()
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        xml = "".join(workbook.read(name).decode() for name in workbook.namelist() if name.endswith(".xml"))
    assert all(reference in xml for reference in references)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == exports.APPLICATIONS_EXPORTED, AuditEvent.actor_id == owner.id)
    ).one()
    assert event.details["rows"] == 3 and event.details["job_id"] == job_id


# --- Only the owner --------------------------------------------------------------------------------------------------


@pytest.fixture
def done_job(app, immediate, test_kinds) -> tuple[User, int]:
    owner = coordinator(app)
    job_id = new_job(app, owner, items=2)
    with app.app_context():
        jobs.run_export_job(job_id)
    assert job_row(job_id).state == JobState.DONE
    return owner, job_id


def test_only_the_owner_sees_the_job_and_downloads_its_file(app, client, done_job):
    owner, job_id = done_job
    urls = [f"/coordination/jobs/{job_id}", f"/coordination/jobs/{job_id}/download"]

    assert [client.get(url).status_code for url in urls] == [302, 302]  # to the sign-in page
    with app.app_context():
        applicant = UserFactory(roles=[Role.APPLICANT])
        db.session.commit()
    for other in (coordinator(app), applicant):
        sign_in(client, other)
        assert [client.get(url).status_code for url in urls] == [404, 404]
        assert client.post(f"/coordination/jobs/{job_id}/retry").status_code == 404
        assert f"/coordination/jobs/{job_id}" not in client.get("/coordination/jobs/").get_data(as_text=True)

    sign_in(client, owner)
    assert client.get(urls[0]).status_code == 200
    with client.get(urls[1]) as download:
        assert download.status_code == 200 and download.get_data() == b"item 1\nitem 2\n"
    assert f"/coordination/jobs/{job_id}" in client.get("/coordination/jobs/").get_data(as_text=True)
    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == jobs.JOB_DOWNLOADED)).all()
    assert [(event.actor_id, event.target_id) for event in downloads] == [(owner.id, job_id)]


def test_an_owner_who_is_no_longer_a_coordinator_cannot_fetch_the_file(app, client, done_job):
    owner, job_id = done_job
    with app.app_context():
        user = db.session.get(User, owner.id)
        user.roles[:] = [UserRole(role=Role.APPLICANT)]
        db.session.commit()
    sign_in(client, owner)

    assert client.get(f"/coordination/jobs/{job_id}/download").status_code == 404


def test_the_page_refreshes_itself_and_shows_the_progress_while_the_job_runs(app, client, test_kinds):
    owner = coordinator(app)
    job_id = new_job(app, owner)
    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        job.state, job.progress_done, job.progress_total, job.heartbeat_at = JobState.RUNNING, 1, 3, utcnow()
        db.session.commit()
    sign_in(client, owner)

    page = client.get(f"/coordination/jobs/{job_id}")

    html = page.get_data(as_text=True)
    assert page.headers["Refresh"] == "2"
    assert re.search(r'<progress id="job-progress"[^>]* max="3" value="1"', html)
    assert "1 of 3 done" in html
    assert "/download" not in html and "Start again" not in html


# --- Retries, lost and interrupted runs ------------------------------------------------------------------------------


def test_a_failed_job_can_be_started_again_by_its_owner(app, client, test_kinds, queue):
    owner = coordinator(app)
    job_id = new_job(app, owner, FAILING_KIND)
    work_one(app)
    assert job_row(job_id).state == JobState.FAILED
    sign_in(client, owner)
    assert "Start again" in client.get(f"/coordination/jobs/{job_id}").get_data(as_text=True)

    response = client.post(f"/coordination/jobs/{job_id}/retry")

    assert response.status_code == 302
    job = job_row(job_id)
    assert (job.state, job.error, job.finished_at, job.attempts) == (JobState.QUEUED, None, None, 1)
    assert queue.queue_size() == 1
    work_one(app)
    assert (job_row(job_id).state, job_row(job_id).attempts) == (JobState.FAILED, 2)


def test_a_running_job_is_not_started_twice_but_a_lost_one_is(app, client, test_kinds, queue, every_progress):
    owner = coordinator(app)
    job_id = new_job(app, owner, items=2)
    queue.flush_queue()
    with app.app_context():
        attempt = job_runs._claim(job_id)  # a worker took it…
    lost_run = job_runs.JobContext(job_id, attempt, owner, {"items": 2})
    sign_in(client, owner)

    client.post(f"/coordination/jobs/{job_id}/retry")
    assert job_row(job_id).state == JobState.RUNNING and queue.queue_size() == 0  # …and is still heard of

    with app.app_context():
        job = db.session.get(ExportJob, job_id)
        job.heartbeat_at = utcnow() - jobs.STALE_AFTER - dt.timedelta(seconds=1)  # …then nothing more
        db.session.commit()
    assert "may have stopped" in client.get(f"/coordination/jobs/{job_id}").get_data(as_text=True)
    client.post(f"/coordination/jobs/{job_id}/retry")
    assert job_row(job_id).state == JobState.QUEUED and queue.queue_size() == 1

    work_one(app)
    with app.app_context(), pytest.raises(job_runs.JobSuperseded):
        lost_run.progress(1, force=True)  # the lost worker wakes up: it may no longer write
    job = job_row(job_id)
    assert (job.state, job.attempts, job.progress_done) == (JobState.DONE, 2, 2)


def test_a_job_interrupted_by_a_shutdown_is_queued_again(app, test_kinds, queue):
    owner = coordinator(app)
    job_id = new_job(app, owner, items=1)
    queue.flush_queue()
    with app.app_context():
        job_runs._claim(job_id)

    with app.app_context():
        jobs._requeue_on_shutdown("interrupted", jobs.run_export_job.s(job_id))

    assert job_row(job_id).state == JobState.QUEUED and queue.queue_size() == 1
    work_one(app)
    assert job_row(job_id).state == JobState.DONE
    with app.app_context():
        assert job_runs.requeue_interrupted(job_id) is False  # a finished job stays finished


# --- Old results -----------------------------------------------------------------------------------------------------


def test_old_finished_jobs_are_removed_with_their_files(app, done_job, test_kinds):
    owner, old_id = done_job
    recent_id = new_job(app, owner, items=1)
    with app.app_context():
        jobs.run_export_job(recent_id)
        old = db.session.get(ExportJob, old_id)
        old.finished_at = utcnow() - job_runs.RESULT_LIFETIME - dt.timedelta(minutes=1)
        old_key, recent_key = old.result_key, db.session.get(ExportJob, recent_id).result_key
        db.session.commit()

        assert job_runs.purge_finished_jobs(utcnow()) == 1
        assert storage.exists(old_key)  # until the deletion commits
        db.session.commit()
        assert not storage.exists(old_key) and storage.exists(recent_key)
    assert db.session.scalars(select(ExportJob.id)).all() == [recent_id]


def test_files_left_behind_by_killed_runs_are_removed_after_a_day(app):
    with app.app_context():
        folder = storage.data_dir() / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        old, fresh, other = folder / "job-old.part", folder / "job-fresh.part", folder / "keep.txt"
        for path in (old, fresh, other):
            path.write_bytes(b"x")
        two_days_ago = (utcnow() - dt.timedelta(days=2)).timestamp()
        os.utime(old, (two_days_ago, two_days_ago))
        os.utime(other, (two_days_ago, two_days_ago))

        assert job_runs.purge_temporary_files(utcnow()) == 1

        assert not old.exists() and fresh.exists() and other.exists()
        for path in (fresh, other):
            path.unlink()
