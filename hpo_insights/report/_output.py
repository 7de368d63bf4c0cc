"""The output folder of a report: checked early, written all at once, never followed.

A report is a set of files of fixed names (:data:`OWN`). :func:`check_out`
refuses, before anything runs, a folder that cannot hold them;
:func:`staging` makes a hidden folder inside it (same file system, and proof
that it is writable); the files are written there and :func:`commit` moves
them into place in one short step, with signals held back, removing files of
the report's own names that this run did not write. A symlink planted under
one of those names is replaced, never followed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from hpo_insights._errors import TrialsError

__all__ = ["OWN", "check_out", "commit", "remove_created", "signals_held", "staging"]

TRIALS_FILE = "report_trials.pkl"
OWN = ("report.ipynb", "report.html", "report.md", "report_files", TRIALS_FILE)
"""The names a report writes in its folder (``report_files`` is a folder)."""

_STAGING_PREFIX = ".hpo-insights-staging-"


def _why(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "the path is too long for the file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno == errno.EROFS:
        return "the file system is read-only"
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


def check_out(out_dir: str | os.PathLike) -> Path:
    """The output folder as a path, or a one-line :class:`TrialsError` if it cannot be one.

    Nothing is created. Refused: an empty path, a path with a NUL character,
    an existing file, a dangling symlink, a path under a file, a path too
    long for the file system, a folder that is not writable, and a folder
    holding a folder where a report file goes (``report.md/``).

    Examples
    --------
    >>> check_out("")
    Traceback (most recent call last):
    ...
    hpo_insights._errors.TrialsError: The output folder is an empty path: pass a folder ...
    """
    text = _out_text(out_dir)
    out = Path(text)
    try:
        _not_a_file(out, text)
        existing = _existing_ancestor(out)
        _not_under_a_file(out, existing, text)
        _not_too_long(out, existing, text)
        if existing.is_dir() and not os.access(existing, os.W_OK | os.X_OK):
            where = "" if existing == out else f" (its folder {str(existing)!r})"
            raise TrialsError(f"Cannot write the report to {text!r}{where}: permission "
                              "denied. Pass a folder you can write (--out DIR).")
        _no_folder_where_a_file_goes(out, text)
    except OSError as error:
        raise TrialsError(f"Cannot write the report to {text!r}: {_why(error)}. Pass another "
                          "folder (--out DIR).") from None
    return out


def _out_text(out_dir: str | os.PathLike) -> str:
    """The output folder as text: not empty, no NUL character."""
    text = os.fspath(out_dir)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text.strip():
        raise TrialsError("The output folder is an empty path: pass a folder (--out DIR), "
                          "e.g. --out reports/mine.")
    if "\x00" in text:
        raise TrialsError(f"The output folder {text!r} contains a NUL character: pass a "
                          "folder (--out DIR).")
    return text


def _not_a_file(out: Path, text: str) -> None:
    if out.is_symlink() and not out.exists():
        raise TrialsError(f"The output folder {text!r} is a symlink to "
                          f"{os.readlink(out)!r}, which does not exist: pass a folder "
                          "(--out DIR).")
    if out.exists() and not out.is_dir():
        raise TrialsError(f"The output folder {text!r} is a file: pass a folder "
                          "(--out DIR).")


def _existing_ancestor(out: Path) -> Path:
    """*out*, or its nearest parent that exists (or is a symlink)."""
    existing = out
    while not existing.exists() and not existing.is_symlink():
        if existing.parent == existing:
            break
        existing = existing.parent
    return existing


def _not_under_a_file(out: Path, existing: Path, text: str) -> None:
    if existing != out and existing.exists() and not existing.is_dir():
        raise TrialsError(f"The output folder {text!r} is under {str(existing)!r}, which is "
                          "a file: pass a folder (--out DIR).")
    if existing != out and existing.is_symlink() and not existing.exists():
        raise TrialsError(f"The output folder {text!r} is under {str(existing)!r}, a "
                          "symlink to a missing target: pass a folder (--out DIR).")


def _not_too_long(out: Path, existing: Path, text: str) -> None:
    max_name = os.pathconf(existing if existing.is_dir() else ".", "PC_NAME_MAX") \
        if hasattr(os, "pathconf") else 255
    long_part = next((p for p in out.parts if len(os.fsencode(p)) > max_name), None)
    if long_part is not None:
        raise TrialsError(f"Cannot write the report to {text!r}: the path is too long for "
                          f"the file system (a name of {len(os.fsencode(long_part))} bytes; "
                          f"at most {max_name}). Pass a shorter --out DIR.")
    if len(os.fsencode(os.path.abspath(text))) >= 4096:
        raise TrialsError(f"Cannot write the report to {text[:60]!r}...: the path is too "
                          "long for the file system. Pass a shorter --out DIR.")


def _no_folder_where_a_file_goes(out: Path, text: str) -> None:
    if not out.is_dir():
        return
    for name in OWN:
        if name != "report_files" and (out / name).is_dir() and not (out / name).is_symlink():
            raise TrialsError(
                f"The output folder {text!r} holds a folder named {name!r} where the "
                "report writes a file: move it away or pass another --out DIR.")


def staging(out: Path) -> tuple[Path, list[Path]]:
    """Create *out* (and missing parents) and a hidden staging folder inside it.

    Returns the staging folder and the folders created (deepest last), so a
    failed run removes them again (:func:`remove_created`). Raises a one-line
    :class:`TrialsError` when the folder cannot be written.
    """
    created: list[Path] = []
    missing = []
    p = out
    while not p.exists() and not p.is_symlink():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    try:
        for folder in reversed(missing):
            folder.mkdir()
            created.append(folder)
        return Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=out)), created
    except OSError as error:
        remove_created(created)
        raise TrialsError(f"Cannot write the report to {str(out)!r}: {_why(error)}. Pass "
                          "another folder (--out DIR).") from None


def remove_created(created: list[Path]) -> None:
    """Remove the folders :func:`staging` created, deepest first, if they are empty."""
    for folder in reversed(created):
        with contextlib.suppress(OSError):
            folder.rmdir()


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a short step; deliver them after it.

    Outside the main thread (where no handler can be set) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def hold(signum: int, frame: object) -> None:
        got.append(signum)

    before = {s: signal.signal(s, hold) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        if got:
            signal.raise_signal(got[0])


@contextlib.contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (two runs into one folder commit in turn)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def commit(stage: Path, out: Path, names: tuple[str, ...] = OWN) -> None:
    """Move the files written in *stage* into *out*; remove stale files of the own names.

    *names* are the names this run manages (default :data:`OWN`). A file of
    one of them that this run did not write (``report.html``
    of an earlier run, when this one wrote only Markdown) is removed; a
    symlink under one of those names is replaced or removed itself, never
    followed. The step holds SIGINT and SIGTERM back.
    """
    with signals_held(), _folder_lock(out):
        trash = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX + "old-", dir=out))
        try:
            for name in names:
                src, dst = stage / name, out / name
                new = src.exists()
                if os.path.lexists(dst):
                    if dst.is_dir() and not dst.is_symlink():
                        os.rename(dst, trash / name)
                    elif not new or src.is_dir():
                        os.unlink(dst)
                if new:
                    os.replace(src, dst)
        finally:
            shutil.rmtree(trash, ignore_errors=True)
