"""What a backup holds and how to check it: every file with its size and SHA-256, every table with its row count.

A backup is a folder: `manifest.json`, the database (`database.sqlite3` or the pg_dump archive `database.dump`) and a
copy of PORTAL_DATA_DIR under `data/`. The manifest is written last, under a temporary name renamed into place, so
that a folder without one is an unfinished backup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "promotionskolleg-portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data"
CHUNK = 1024 * 1024
# Under PORTAL_DATA_DIR but not data: work in progress of background jobs, the job queue (its tasks belong to the
# moment, not to the records), files being written.
TRANSIENT_DIRECTORIES = {"tmp"}
TRANSIENT_SUFFIXES = (".part", "huey.sqlite3", "huey.sqlite3-wal", "huey.sqlite3-shm", "huey.sqlite3-journal")


class BackupError(RuntimeError):
    """A backup or restore cannot go on; the message says why, for the operator."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_files(root: Path) -> Iterator[Path]:
    """The files under a data folder that a backup keeps, as paths relative to it, in a stable order."""
    if not root.is_dir():
        return
    for folder, directories, files in os.walk(root):
        here = Path(folder)
        if here == root:
            directories[:] = [d for d in directories if d not in TRANSIENT_DIRECTORIES]
        directories.sort()
        for name in sorted(files):
            if not name.endswith(TRANSIENT_SUFFIXES):
                yield (here / name).relative_to(root)


@dataclass
class Manifest:
    """The contents of manifest.json."""

    dialect: str
    database_file: str
    revision: str | None
    tables: dict[str, int]
    files: dict[str, dict[str, object]] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def add(self, folder: Path, relative: str) -> None:
        """Record a file of the backup folder with its size and checksum."""
        path = folder / relative
        self.files[relative] = {"bytes": path.stat().st_size, "sha256": sha256_of(path)}

    def write(self, folder: Path) -> None:
        content = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "database": {
                "dialect": self.dialect,
                "file": self.database_file,
                "alembic_revision": self.revision,
                "tables": self.tables,
            },
            "files": self.files,
        }
        temporary = folder / (MANIFEST + ".part")
        temporary.write_text(json.dumps(content, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, folder / MANIFEST)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.is_file():
            raise BackupError(f"{folder} holds no {MANIFEST}: it is not a backup, or an unfinished one.")
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            database = content["database"]
            if content.get("format") != FORMAT or content.get("format_version") != FORMAT_VERSION:
                raise ValueError("unknown format")
            return cls(
                dialect=database["dialect"],
                database_file=database["file"],
                revision=database["alembic_revision"],
                tables={str(k): int(v) for k, v in database["tables"].items()},
                files=dict(content["files"]),
                created_at=content["created_at"],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"{path} cannot be read as a backup manifest ({error}).") from error

    def file_problems(self, folder: Path, *, prefix: str = "") -> list[str]:
        """Every listed file (under prefix) missing from folder or differing from its size and checksum."""
        problems = []
        for relative, expected in sorted(self.files.items()):
            if not relative.startswith(prefix):
                continue
            path = folder / relative.removeprefix(prefix)
            if not path.is_file():
                problems.append(f"missing: {relative}")
            elif path.stat().st_size != expected["bytes"] or sha256_of(path) != expected["sha256"]:
                problems.append(f"checksum differs: {relative}")
        return problems
