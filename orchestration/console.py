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
