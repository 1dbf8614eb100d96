"""Uploaded files under PORTAL_DATA_DIR: random names, never under static/, written atomically.

Files live outside the database, so they follow its transaction through session events: a file saved by a
transaction that rolls back is removed again (`forget_if_rolled_back`), and a file whose row was deleted or replaced
is removed only once the deletion has committed (`delete_after_commit`). A savepoint that rolls back undoes what was
registered inside it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal import db

logger = logging.getLogger(__name__)

_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_KEY_PATTERN = re.compile(r"[a-f0-9]{2}/[a-f0-9]{2}/[a-f0-9]{40}\.[a-z]{2,4}")
_PENDING = "portal_storage_pending"


@dataclass(frozen=True)
class StoredFile:
    key: str
    size_bytes: int
    sha256: str


def data_dir() -> Path:
    """The configured data directory (shared storage when several app servers run)."""
    return Path(current_app.config["PORTAL_DATA_DIR"])


def _path_for(key: str) -> Path:
    if not _KEY_PATTERN.fullmatch(key):
        raise ValueError("not a storage key")
    return data_dir() / "files" / key


def path_of(key: str) -> Path:
    """Where the file stored under key lives (for checks and maintenance; serve files with open_file)."""
    return _path_for(key)


def save_bytes(content: bytes, suffix: str = "pdf") -> StoredFile:
    """Write content under a fresh random name and return its key, size and checksum."""
    name = secrets.token_hex(20)
    key = f"{name[:2]}/{name[2:4]}/{name}.{suffix}"
    path = _path_for(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    try:
        with open(temporary, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return StoredFile(key=key, size_bytes=len(content), sha256=hashlib.sha256(content).hexdigest())


def read_bytes(key: str) -> bytes:
    """The content stored under key."""
    return _path_for(key).read_bytes()


def open_file(key: str):
    """An open binary file handle for key (for streaming responses)."""
    return open(_path_for(key), "rb")  # the caller (send_file) closes it


def exists(key: str) -> bool:
    """Whether a file is stored under key."""
    return _path_for(key).is_file()


def delete(key: str) -> None:
    """Remove the file stored under key, if it is there."""
    _path_for(key).unlink(missing_ok=True)


# --- Following the database transaction ----------------------------------------------------------------------------

Action = Literal["saved", "delete"]


@dataclass(frozen=True)
class _Pending:
    transaction: SessionTransaction  # the innermost transaction (or savepoint) in progress when it was registered
    action: Action
    key: str


def _register(action: Action, key: str) -> None:
    _path_for(key)  # refuse anything that is not a storage key now, not at commit time
    session = db.session()
    if not session.in_transaction():
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append(_Pending(transaction, action, key))


def forget_if_rolled_back(key: str) -> None:
    """Remove the file saved under key if the current transaction (or the savepoint in progress) rolls back."""
    _register("saved", key)


def delete_after_commit(key: str) -> None:
    """Remove the file stored under key once the current transaction has committed; keep it if it rolls back."""
    _register("delete", key)


def _remove_quietly(key: str) -> None:
    # Runs after the database has decided: a file that cannot be removed is logged, never an error for the user.
    try:
        delete(key)
    except OSError:
        logger.exception("Could not remove the stored file %s", key)


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its files now belong to the enclosing transaction
    for item in session.info.pop(_PENDING, []):
        if item.action == "delete":
            _remove_quietly(item.key)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    kept = []
    for item in pending:
        if _inside(item.transaction, previous_transaction):
            if item.action == "saved":
                _remove_quietly(item.key)
        else:
            kept.append(item)
    session.info[_PENDING] = kept


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit having taken the list (closed, or the session removed):
    # nothing it did is kept, so neither are its new files; files it meant to delete stay.
    if transaction.parent is None:
        for item in session.info.pop(_PENDING, []):
            if item.action == "saved":
                _remove_quietly(item.key)


event.listen(db.session, "after_commit", _after_commit)
event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
event.listen(db.session, "after_transaction_end", _after_transaction_end)


# --- File names ----------------------------------------------------------------------------------------------------


def _clean_characters(name: str) -> str:
    # Invisible format characters (such as a right-to-left override that makes "fdp.exe" read "exe.pdf") are dropped,
    # line and paragraph separators become spaces; every script is kept.
    out = []
    for character in name:
        category = unicodedata.category(character)
        if category in {"Cf", "Cs", "Co", "Cn"}:
            continue
        out.append(" " if category in {"Zl", "Zp"} else character)
    return "".join(out)


def safe_filename(original: str, default: str = "document.pdf", suffix: str = ".pdf") -> str:
    """A file name fit for a download header: no directories or control characters; any script and the suffix kept."""
    name = unicodedata.normalize("NFC", original or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARACTERS.sub("_", _clean_characters(name))
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if not name:
        return default
    stem = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    stem = stem.strip(" ._")[:150].strip(" ._") or default.removesuffix(suffix)
    return stem + suffix
