"""Optuna journal files (``JournalFileBackend``, formerly ``JournalFileStorage``), read-only.

The file is read once into memory (complete lines only, as Optuna's reader does) and
replayed by Optuna's own :class:`~optuna.storages.JournalStorage` over an in-memory
backend: nothing is opened for writing and no lock file is created beside the journal.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hpo_insights._errors import TrialsError
from hpo_insights.io.canonical import selected_studies
from hpo_insights.io.optuna import OPTUNA_HINT, studies_frame

JOURNAL_SUFFIXES = (".log", ".journal")


def is_journal(path: Path) -> bool:
    """A ``.log``/``.journal`` file, or a ``.jsonl`` file whose first line is a journal op."""
    suffix = path.suffix.lower()
    if suffix in JOURNAL_SUFFIXES:
        return True
    if suffix != ".jsonl" or not path.is_file():
        return False
    with open(path, "rb") as fh:
        first = fh.readline(1 << 16)
    try:
        head = json.loads(first)
    except ValueError:
        return False
    return isinstance(head, dict) and "op_code" in head and "worker_id" in head


def _journal_logs(path: Path, label: str) -> list[dict[str, Any]]:
    """Every complete log line of the journal, decoded (a torn last line is left out)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise TrialsError(f"Cannot read the Optuna journal {label}: {err}.") from err
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is a write in progress
    logs = []
    for k, line in enumerate(complete):
        try:
            log = json.loads(line)
        except ValueError as err:
            if k == len(complete) - 1:  # a torn last line, as Optuna's reader skips it
                break
            raise TrialsError(
                f"Cannot read the Optuna journal {label}: line {k + 1} is not JSON ({err}). "
                "Pass a journal written by optuna.storages.journal.JournalFileBackend."
            ) from err
        if not isinstance(log, dict) or "op_code" not in log:
            raise TrialsError(
                f"Cannot read {label} as an Optuna journal: line {k + 1} holds no 'op_code'. "
                "Pass a journal written by optuna.storages.journal.JournalFileBackend."
            )
        logs.append(log)
    return logs


def journal_storage(path: Path, label: str) -> Any:
    """An Optuna JournalStorage replaying a snapshot of the file, with no file access after."""
    try:
        import optuna
    except ImportError as err:
        raise TrialsError(OPTUNA_HINT) from err

    try:
        from optuna.storages.journal import BaseJournalBackend
    except ImportError:  # Optuna 3.x
        from optuna.storages._journal.base import BaseJournalLogStorage as BaseJournalBackend

    logs = _journal_logs(path, label)

    class _Snapshot(BaseJournalBackend):
        def read_logs(self, log_number_from: int) -> list[dict[str, Any]]:
            return logs[log_number_from:]

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            raise TrialsError(f"{label} is opened read-only: hpo_insights never writes to it.")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental in Optuna 3.x
        try:
            return optuna.storages.JournalStorage(_Snapshot())
        except (KeyError, ValueError, TypeError) as err:
            raise TrialsError(
                f"Cannot replay the Optuna journal {label}: {err!r}. Pass a journal written by "
                "optuna.storages.journal.JournalFileBackend."
            ) from err


def journal_studies(
    path: Path, studies: str | Sequence[str] | None, label: str
) -> list[Any]:
    """The ``optuna.Study`` objects of the journal (all, or those *studies* names)."""
    import optuna

    storage = journal_storage(path, label)
    names = [s.study_name for s in storage.get_all_studies()]
    wanted = selected_studies(names, studies, label)
    return [optuna.load_study(study_name=n, storage=storage) for n in wanted]


def load_journal(path: Path, studies: str | Sequence[str] | None, label: str) -> pd.DataFrame:
    """The (not yet canonical) trials frame of every study in the journal."""
    return studies_frame(journal_studies(path, studies, label))
