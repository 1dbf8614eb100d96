"""The benchmark behind `make bench`: the coordinators' list and exports on a round of many applications.

It builds a throw-away database (SQLite by default, or DATABASE_URL), fills one round with N submitted applications
by bulk inserts, then times the list page and the streamed CSV and Excel exports through the real views, and
measures the peak Python memory each takes (tracemalloc). Results are printed and written to bench-results/.
Speed is measured here, never by timed assertions in the tests.

    .venv/bin/python -m tests.bench.run --applications 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[2]


def build_app(url: str, data_dir: str):
    from portal import create_app, db

    app = create_app(
        {
            "DATABASE_URL": url,
            "PORTAL_DATA_DIR": data_dir,
            "SECRET_KEY": "bench-" + "x" * 40,
            "WTF_CSRF_ENABLED": False,
            "TESTING": True,
        }
    )
    engine = db.get_engine(app)
    db.Base.metadata.drop_all(engine)
    db.Base.metadata.create_all(engine)
    return app


def fill(app, count: int) -> tuple[int, int]:
    """One round with `count` submitted applications (bulk inserts) and a coordinator; returns their ids."""
    from werkzeug.security import generate_password_hash

    from portal import db
    from portal.accounts.models import User, UserRole
    from portal.applications.models import Application, IntakeRound
    from portal.core.roles import Role
    from portal.supervisors.models import SupervisorProfile
    from portal.supervisors.services import sync_universities, university_by_code

    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        sync_universities()
        coordinator = User(
            email="coordinator@bench.example",
            name="Bench Coordinator",
            password_hash=generate_password_hash("bench-password-123"),
            email_confirmed_at=now,
        )
        coordinator.roles = [UserRole(role=Role.COORDINATOR)]
        de_user, cn_user = (
            User(email="de@bench.example", name="Anna Becker"),
            User(email="cn@bench.example", name="Zhang Min"),
        )
        db.session.add_all([coordinator, de_user, cn_user])
        db.session.flush()
        de = SupervisorProfile(user=de_user, university=university_by_code("TUC"), capacity=3)
        cn = SupervisorProfile(user=cn_user, university=university_by_code("TONGJI"), capacity=3)
        intake = IntakeRound(
            name="Bench round", opens_at=now - dt.timedelta(days=60), closes_at=now - dt.timedelta(days=1)
        )
        db.session.add_all([de, cn, intake])
        db.session.commit()
        ids = (intake.id, coordinator.id, de.id, cn.id)
        batch = 2000
        for start in range(0, count, batch):
            size = min(batch, count - start)
            users = [
                {
                    "email": f"applicant{n}@bench.example",
                    "name": f"Applicant {n}",
                    "language": "zh",
                    "timezone": "Asia/Shanghai",
                    "active": True,
                    "created_at": now,
                }
                for n in range(start, start + size)
            ]
            db.session.execute(insert(User), users)
            user_ids = db.session.scalars(
                select(User.id)
                .where(User.email.like("applicant%@bench.example"))
                .order_by(User.id)
                .offset(start)
                .limit(size)
            ).all()
            db.session.execute(
                insert(Application),
                [
                    {
                        "round_id": ids[0],
                        "applicant_id": uid,
                        "state": "submitted",
                        "reference": f"IPK-2099-{n:05d}",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "submitted_at": now,
                        "family_name": "=WANG" if n % 97 == 0 else "Wang",
                        "given_names": f"Xiaoming {n}",
                        "native_name": "王小明",
                        "nationality": "CN",
                        "proposal_title": "Hydrogen storage",
                        "research_field": "energy_hydrogen",
                        "german_supervisor_id": ids[2],
                        "chinese_supervisor_id": ids[3],
                    }
                    for n, uid in zip(range(start, start + size), user_ids, strict=True)
                ],
            )
            db.session.commit()
        return ids[0], ids[1]


def measure(client, path: str) -> dict:
    """Time a GET and the peak memory while its (possibly streamed) body is consumed chunk by chunk."""
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path, buffered=False)
    size = 0
    for chunk in response.response:
        size += len(chunk)
    response.close()
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "path": path,
        "status": response.status_code,
        "seconds": round(elapsed, 3),
        "bytes": size,
        "peak_python_memory_mb": round(peak / 1_048_576, 2),
        "streamed": response.is_streamed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=int(os.environ.get("BENCH_APPLICATIONS", "20000")))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        app = build_app(url, f"{tmp}/data")
        started = time.perf_counter()
        round_id, coordinator_id = fill(app, args.applications)
        fill_seconds = round(time.perf_counter() - started, 1)
        client = app.test_client()
        from portal import db
        from portal.accounts.models import User
        from portal.accounts.sessions import open_session

        with app.app_context():
            _record, key = open_session(db.session.get(User, coordinator_id), remember=False, second_factor=True)
            db.session.commit()
            with client.session_transaction() as session:
                session["_user_id"] = key
                session["_fresh"] = True
        results = [
            measure(client, f"/coordination/applications/?round={round_id}"),
            measure(client, f"/coordination/applications/?round={round_id}&page=200"),
            measure(client, f"/coordination/applications/export.csv?round={round_id}"),
            measure(client, f"/coordination/applications/export.xlsx?round={round_id}"),
        ]
    report = {
        "applications": args.applications,
        "database": url.split(":")[0],
        "fill_seconds": fill_seconds,
        "results": results,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2))
    print(f"{args.applications} applications ({report['database']}), filled in {fill_seconds}s")
    for r in results:
        print(
            f"  {r['status']} {r['seconds']:>7.3f}s  {r['bytes'] / 1_048_576:>7.2f} MB  "
            f"peak {r['peak_python_memory_mb']:>6.2f} MB  streamed={r['streamed']}  {r['path']}"
        )


if __name__ == "__main__":
    main()
