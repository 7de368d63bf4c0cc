"""Running the report notebook in a kernel: the client, signals, and what failed where.

Shared by :func:`hpo_insights.report.build` (``_build``) and
``hpo-insights export --execute`` (``_export``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpo_insights._errors import TrialsError

__all__ = ["ReportError", "drawing_failure", "failure", "notebook_client", "run_client"]


class ReportError(TrialsError):
    """An analysis failed while the report notebook ran.

    ``section`` names the report section, ``notebook`` the executed notebook
    kept for inspection.
    """

    def __init__(self, message: str, *, section: str = "", notebook: Path | None = None):
        super().__init__(message)
        self.section = section
        self.notebook = notebook


def notebook_client(nb: Any, cwd: str, timeout: int, on_section: Callable[[str], None]):
    from nbclient import NotebookClient

    state = {"last": None}

    def start(cell: Any, cell_index: int) -> None:
        section = cell.metadata.get("hpo_insights", {}).get("section")
        if section and section != state["last"]:
            state["last"] = section
            on_section(section)
        client.state_section = state["last"]

    # "immediate": once the last cell has answered (every output received), the kernel is
    # stopped rather than asked to shut down and waited for (0.2-0.4 s of every report)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": cwd}}, on_cell_start=start,
                            shutdown_kernel="immediate")
    client.state_section = None  # the section running now, for timeout and dead-kernel messages
    return client


def run_client(client: Any, **kwargs: Any) -> None:
    """``client.execute(**kwargs)``, stoppable by SIGINT and SIGTERM.

    nbclient answers a signal by shutting the kernel down under the running
    cell (which then reports a dead kernel). Here the notebook runs in a
    worker thread, where nbclient sets no signal handler; a signal reaches
    the main thread as ``KeyboardInterrupt``, the run is cancelled (nbclient
    shuts the kernel down on the way out) and the exception goes on.

    The main thread waits on an event the worker sets when it has finished,
    never on ``Thread.join``: on Python 3.11 a ``KeyboardInterrupt`` that
    interrupts ``join`` marks the still-running thread as stopped, so the
    process went on to exit while the worker was closing the kernel's
    sockets, and nbclient's exit handler closed them a second time at once
    (a hang, or an abort in ZeroMQ: 8 of 64 interrupts on a loaded machine).
    """
    import asyncio
    import atexit
    import threading

    from hpo_insights.report._output import signals_held

    box: dict[str, Any] = {}
    ready, finished = threading.Event(), threading.Event()

    def work() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            box["loop"] = loop
            box["task"] = task = loop.create_task(client.async_execute(**kwargs))
            ready.set()
            loop.run_until_complete(task)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            box["error"] = error
        finally:
            ready.set()
            try:
                with contextlib.suppress(BaseException):  # tasks a cancelled run left behind
                    pending = asyncio.all_tasks(loop)
                    for task in pending:
                        task.cancel()
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
            finally:
                finished.set()

    thread = threading.Thread(target=work, name="hpo-insights-notebook", daemon=True)
    thread.start()
    try:
        while not finished.wait(0.1):
            pass
    except BaseException:
        with signals_held():  # a second Ctrl-C waits for the kernel to go
            ready.wait(10)
            loop, task = box.get("loop"), box.get("task")
            if task is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(task.cancel)
            finished.wait(30)
            # nbclient's own exit-time cleanup must not close the kernel's sockets while (or
            # after) the worker does: the worker cleans up, or the kernel is killed here
            atexit.unregister(client._cleanup_kernel)
            _kill_kernel(client)
        raise
    if "error" in box:
        raise box["error"]


def _kill_kernel(client: Any) -> None:
    """Make sure no kernel outlives a cancelled run (cancelled while it was starting)."""
    km = getattr(client, "km", None)
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None and process.poll() is None:
        process.kill()
        with contextlib.suppress(Exception):
            process.wait(5)
    with contextlib.suppress(Exception):
        km.cleanup_connection_file()


def failure(nb: Any, error: Exception) -> tuple[str, str]:
    """(section, one-line cause) of the cell that failed."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                section = cell.metadata.get("hpo_insights", {}).get("section", "a cell")
                cause = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
                return section, " ".join(cause.split())
    return "a cell", " ".join(str(error).split())[:300]


def drawing_failure(nb: Any) -> tuple[str, str] | None:
    """(section, cause) of the first cell that ran but shows a failure, else None.

    A figure is drawn after its cell ran (when the kernel shows it): if that
    fails, the cell still succeeds, and an error output, a traceback in a
    stream or a figure shown only as ``<Figure size ...>`` text stands in
    place of the image. Such a report is broken, so it is a failure too.
    """
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        section = cell.metadata.get("hpo_insights", {}).get("section", f"cell {k + 1}")
        outputs = cell.get("outputs", [])
        for out in outputs:
            if out.get("output_type") == "error":
                cause = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
                return section, "a figure failed to draw: " + " ".join(cause.split())[:300]
        for out in outputs:
            kind = out.get("output_type")
            text = out.get("text", "") if kind == "stream" else ""
            if "Traceback (most recent call last)" in text or "Error in callback" in text:
                lines = [line.strip() for line in text.splitlines() if line.strip()]
                return section, "a figure failed to draw: " + lines[-1][:300]
            data = out.get("data", {}) if kind in ("display_data", "execute_result") else {}
            plain = str(data.get("text/plain", ""))
            if plain.startswith("<Figure size") and not any(m.startswith("image/")
                                                            for m in data):
                return section, f"a figure failed to draw (only {plain} was shown)"
    return None
