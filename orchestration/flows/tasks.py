"""The steps of :mod:`orchestration.pipeline` as Prefect tasks: nothing is copied, only wrapped.

I/O steps retry with exponential backoff (count and base delay from the settings); pure steps do
not. No task caches its inputs (they are frames and models, and each run must do its work).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from prefect import Task, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.tasks import exponential_backoff

from orchestration.pipeline import Step
from paris_housing.settings import Settings


def as_task(fn: Callable[..., Any], name: str) -> Task:
    """``fn`` as a Prefect task called ``name`` that never caches its inputs."""
    return task(fn, name=name, cache_policy=NO_CACHE)


def with_retries(base: Task, settings: Settings) -> Task:
    """``base`` retried ``settings.task_retries`` times, waiting longer after each failure."""
    return base.with_options(
        retries=settings.task_retries,
        retry_delay_seconds=(
            exponential_backoff(backoff_factor=settings.task_retry_delay_seconds)
            if settings.task_retry_delay_seconds > 0
            else 0
        ),
    )


class PrefectRunner:
    """Runs each step as a Prefect task of the current flow run; I/O steps are retried."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tasks: dict[str, Task] = {}

    def task(self, step: Step) -> Task:
        """The task of ``step`` (made once per runner)."""
        if step.name not in self._tasks:
            made = as_task(step.fn, step.name)
            self._tasks[step.name] = with_retries(made, self.settings) if step.io else made
        return self._tasks[step.name]

    def run(self, step: Step, *args: Any, **kwargs: Any) -> Any:
        """Run the step's task and return its result."""
        return self.task(step)(*args, **kwargs)

    def map(self, step: Step, over: str, items: Sequence[Any], **kwargs: Any) -> list[Any]:
        """One task run per item, on the flow's task runner (a Dask cluster when configured)."""
        futures = self.task(step).map(
            **{over: list(items)}, **{name: unmapped(value) for name, value in kwargs.items()}
        )
        return [future.result() for future in futures]

    def submit(self, step: Step, *args: Any, **kwargs: Any) -> PrefectFuture:
        """Start the step's task in the background."""
        return self.task(step).submit(*args, **kwargs)
