"""The one assembly of the stages' steps: ingestion, then model selection.

The stages expose their steps as plain functions; this module alone puts them in order. The
``ingest`` and ``train`` commands run that order with :class:`Inline` (in this process, with a
progress display), and the Prefect flows run the very same order with
:class:`orchestration.flows.tasks.PrefectRunner` (each step a task, I/O steps retried), so a step
added here runs everywhere. Nothing here imports Prefect.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from data_ingestion.ingest import IngestResult, open_checked_bucket, store, validate_source
from data_ingestion.sources import AUTO, fetch_source
from model_selection.candidates import SEED, get_candidates
from model_selection.data import TrainingData, load_training_data
from model_selection.evaluation import (
    CandidateResult,
    evaluate_candidate,
    evaluate_fold,
    select_best,
)
from model_selection.registration import Registration, check_promotion_settings
from model_selection.tracking import LoggedCandidate, SelectionRun, check_tracking, prepare_tracking
from model_selection.train import log_and_register
from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.settings import Settings, get_settings


@dataclass(frozen=True)
class Step:
    """One step of a stage: the function, the task's name, what a progress display says."""

    name: str
    fn: Callable[..., Any]
    label: str
    io: bool = False  # talks to a bucket, a source or a server: runners that retry, retry it

    def describe(self, kwargs: dict[str, Any]) -> str:
        """The label with the step's keyword arguments filled in ('cross-validating linear')."""
        return self.label.format_map({k: v for k, v in kwargs.items() if isinstance(v, str)})


class Pending(Protocol):
    """A step started in the background (a concurrent or a Prefect future)."""

    def result(self) -> Any:
        """Wait for the step and return what it returned (or raise what it raised)."""


class Runner(Protocol):
    """How the steps are executed: inline, or as Prefect tasks."""

    def run(self, step: Step, *args: Any, **kwargs: Any) -> Any:
        """Run ``step`` now and return its result."""

    def map(self, step: Step, over: str, items: Sequence[Any], **kwargs: Any) -> list[Any]:
        """Run ``step`` once per item (passed as the argument ``over``); results in order."""

    def submit(self, step: Step, *args: Any, **kwargs: Any) -> Pending:
        """Start ``step`` in the background."""


class Inline:
    """Runs each step in this process, telling ``progress`` what it is doing."""

    def __init__(self, progress: Callable[[str], None] = lambda _: None) -> None:
        self.progress = progress

    def run(self, step: Step, *args: Any, **kwargs: Any) -> Any:
        """Say what the step does, then do it."""
        self.progress(step.describe(kwargs))
        return step.fn(*args, **kwargs)

    def map(self, step: Step, over: str, items: Sequence[Any], **kwargs: Any) -> list[Any]:
        """One item after the other."""
        results = []
        for number, item in enumerate(items, start=1):
            self.progress(f"{step.describe(kwargs)} ({number} of {len(items)})")
            results.append(step.fn(**kwargs, **{over: item}))
        return results

    def submit(self, step: Step, *args: Any, **kwargs: Any) -> Future:
        """In a thread of its own."""
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=step.name)
        future = pool.submit(step.fn, *args, **kwargs)
        pool.shutdown(wait=False)  # the thread finishes the step; the caller waits on the future
        return future


OPEN_BUCKET = Step("open-bucket", open_checked_bucket, "opening the bucket", io=True)
FETCH_SOURCE = Step("fetch-source", fetch_source, "reading the source", io=True)
VALIDATE = Step("validate", validate_source, "validating rows")
STORE = Step("store-periods", store, "writing to the bucket", io=True)

CHECK_TRACKING = Step("check-tracking", check_tracking, "checking the tracking server", io=True)
LOAD_DATA = Step("load-training-data", load_training_data, "reading the dataset", io=True)
CHECK_PROMOTION = Step(
    "check-promotion-settings", check_promotion_settings, "checking the gate and the alias"
)
PREPARE_TRACKING = Step("prepare-tracking", prepare_tracking, "opening the tracking store", io=True)
CROSS_VALIDATE = Step("cross-validate-fold", evaluate_fold, "cross-validating {name}")
FIT_HOLDOUT = Step("fit-and-holdout", evaluate_candidate, "fitting {name} on every training period")
SELECT_BEST = Step("select-best", select_best, "choosing the best candidate")
LOG_REGISTER = Step(
    "log-register-promote", log_and_register, "logging, registering and promoting", io=True
)


@dataclass
class TrainResult:
    """What a selection did: every candidate's scores, the chosen one, the registry decision."""

    dataset: str
    dataset_version: str
    period_spans: tuple[str, ...]
    train_span: str
    candidates: list[CandidateResult]
    chosen: str
    selection: SelectionRun
    logged: dict[str, LoggedCandidate]
    registration: Registration
    tracking_uri: str
    seconds: float

    @property
    def decision(self):
        """The promotion decision of the registered version."""
        return self.registration.decision


def ingest_steps(
    runner: Runner, source: str, spec: DatasetSpec, settings: Settings, bucket_uri: str | None
) -> IngestResult:
    """Source -> validate -> periods -> bucket, idempotently (see :mod:`data_ingestion`)."""
    bucket = runner.run(OPEN_BUCKET, bucket_uri, settings)
    raw = runner.run(FETCH_SOURCE, source, spec, settings)
    validated = runner.run(VALIDATE, raw, spec)
    return runner.run(STORE, raw, validated, spec, bucket)


def train_steps(
    runner: Runner,
    spec: DatasetSpec,
    names: Sequence[str],
    settings: Settings,
    seed: int = SEED,
) -> TrainResult:
    """Cross-validate and fit ``names`` on the latest version, log them, register and promote
    the best through the gate. A stopped tracking server, a dataset without a gate or an
    unusable alias fails before any fitting; opening the tracking store overlaps with the fits."""
    started = time.perf_counter()
    uri = runner.run(CHECK_TRACKING, settings)
    data: TrainingData = runner.run(LOAD_DATA, spec.name, settings)
    runner.run(CHECK_PROMOTION, settings, data.dataset)
    store_ready = runner.submit(PREPARE_TRACKING, spec.registered_model_name, settings)
    results = []
    for name in names:
        folds = runner.map(CROSS_VALIDATE, "fold", data.folds, name=name, data=data, seed=seed)
        results.append(runner.run(FIT_HOLDOUT, name=name, data=data, seed=seed, folds=folds))
    store_ready.result()
    chosen = runner.run(SELECT_BEST, results)
    selection, logged, registration = runner.run(LOG_REGISTER, data, results, chosen, settings)
    return TrainResult(
        dataset=data.dataset,
        dataset_version=data.version,
        period_spans=data.period_spans,
        train_span=data.train_span,
        candidates=results,
        chosen=chosen.name,
        selection=selection,
        logged=logged,
        registration=registration,
        tracking_uri=uri,
        seconds=time.perf_counter() - started,
    )


def ingest_dataset(
    source: str = AUTO,
    bucket_uri: str | None = None,
    dataset: str | None = None,
    settings: Settings | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> IngestResult:
    """Ingest ``source`` into the bucket in this process; ``step`` hears each step's label."""
    settings = settings or get_settings()
    spec = get_spec(dataset or settings.dataset)
    return ingest_steps(Inline(step), source, spec, settings, bucket_uri)


def train_models(
    dataset: str | None = None,
    candidates: Sequence[str] | None = None,
    settings: Settings | None = None,
    seed: int = SEED,
    step: Callable[[str], None] = lambda _: None,
) -> TrainResult:
    """Select, log, register and promote a model for ``dataset``'s latest version in this
    process; ``candidates`` names the ones to try (default: all)."""
    settings = settings or get_settings()
    names = [c.name for c in get_candidates(candidates)]
    spec = get_spec(dataset or settings.dataset)
    return train_steps(Inline(step), spec, names, settings, seed)
