"""Backing up the portal (`flask portal backup DIR`) and restoring it into an empty installation (`flask portal restore
DIR`), each checked against the manifest's checksums and row counts before it says it succeeded.

Files under PORTAL_DATA_DIR never change once written (random names; deletions wait for the commit), so the copy of
the folder is taken in two passes around the database's snapshot: the first copies what is there, the second what
arrived while the database was being copied. Every file the copied database names is therefore in the backup.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from portal.backups.databases import DUMPERS, LOADERS, is_empty, table_counts
from portal.backups.manifest import DATA, BackupError, Manifest, data_files


@dataclass(frozen=True)
class BackupSummary:
    manifest: Manifest

    @property
    def rows(self) -> int:
        return sum(self.manifest.tables.values())

    @property
    def data_files(self) -> int:
        return sum(1 for name in self.manifest.files if name.startswith(DATA + "/"))

    @property
    def megabytes(self) -> float:
        return sum(int(entry["bytes"]) for entry in self.manifest.files.values()) / 1_000_000  # type: ignore[call-overload]


def _fresh_folder(folder: Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} exists and is not empty: give each backup a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)  # personal data: for the backup's owner only


def _copy_new_files(source: Path, target: Path, done: set[Path]) -> None:
    for relative in data_files(source):
        if relative not in done:
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target / relative)
            done.add(relative)


def make_backup(engine: Engine, data_dir: Path, folder: Path) -> BackupSummary:
    """Write the database, the data folder and the manifest into folder (new or empty)."""
    dialect = engine.dialect.name
    if dialect not in DUMPERS:
        raise BackupError(f"Backups of {dialect} databases are not supported.")
    _fresh_folder(folder)
    copied: set[Path] = set()
    _copy_new_files(data_dir, folder / DATA, copied)
    database_file, dump = DUMPERS[dialect]
    tables, revision = dump(engine, folder / database_file)
    _copy_new_files(data_dir, folder / DATA, copied)
    manifest = Manifest(dialect=dialect, database_file=database_file, revision=revision, tables=tables)
    manifest.add(folder, database_file)
    for relative in sorted(copied):
        manifest.add(folder, f"{DATA}/{relative.as_posix()}")
    manifest.write(folder)
    return BackupSummary(manifest)


def restore_backup(engine: Engine, data_dir: Path, folder: Path) -> BackupSummary:
    """Check the backup, restore it into this empty installation, and check the result against the manifest."""
    manifest = Manifest.read(folder)
    if manifest.dialect != engine.dialect.name:
        raise BackupError(
            f"The backup is of a {manifest.dialect} database; the portal is configured for {engine.dialect.name}."
        )
    damaged = manifest.file_problems(folder)
    if damaged:
        raise BackupError("The backup is damaged, nothing was restored: " + "; ".join(damaged[:20]))
    _refuse_unless_empty(engine, data_dir)
    LOADERS[manifest.dialect](engine, folder / manifest.database_file)
    for relative in manifest.files:
        if relative.startswith(DATA + "/"):
            target = data_dir / relative.removeprefix(DATA + "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / relative, target)
    _verify(engine, data_dir, manifest)
    return BackupSummary(manifest)


def _refuse_unless_empty(engine: Engine, data_dir: Path) -> None:
    if not is_empty(engine):
        raise BackupError("The database is not empty: a backup is restored only into an empty database.")
    if next(data_files(data_dir), None) is not None:
        raise BackupError(f"The data folder {data_dir} is not empty: a backup is restored only into an empty one.")


def _verify(engine: Engine, data_dir: Path, manifest: Manifest) -> None:
    """Every restored file has its checksum and every table its row count, or the restore reports failure."""
    problems = manifest.file_problems(data_dir, prefix=DATA + "/")
    with engine.connect() as connection:
        restored = table_counts(connection)
    problems += [
        f"table {name}: {restored.get(name)} rows instead of {count}"
        for name, count in sorted(manifest.tables.items())
        if restored.get(name) != count
    ]
    if problems:
        raise BackupError("The restored copy differs from the backup: " + "; ".join(problems[:20]))
