"""Shared terminal output of the command line: one console, errors as one clear sentence."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.logging import RichHandler

console = Console()
err_console = Console(stderr=True)


def setup_logging(level: int = logging.WARNING) -> None:
    """Warnings and errors of the stages shown through rich, on stderr."""
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_time=False, show_path=False)],
        force=True,
    )


class TaskChatter(logging.Filter):
    """Drops the INFO lines of Prefect's task runs ("Finished in state Completed()", one per
    task) from the terminal: the flow's own summaries stay, and the Prefect UI keeps every task
    run's logs and states."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.name.startswith("prefect.task_runs")


def quiet_task_runs() -> None:
    """Keep Prefect's per-task chatter off the terminal (``--verbose`` skips this)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TaskChatter) for f in handler.filters):
            handler.addFilter(TaskChatter())


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as the reason for stopping; return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def user_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """Turn the stages' own errors (bad input, unreachable servers) into one sentence + exit 1."""
    try:
        yield
    except kinds as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        raise fail(message) from exc
