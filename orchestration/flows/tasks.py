"""The stages' own functions as Prefect tasks: nothing is copied, only wrapped.

I/O tasks retry with exponential backoff (count and base delay from the settings); pure tasks do
not. No task caches its inputs (they are frames and models, and each run must do its work).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from data_ingestion.ingest import store, validate_source
from data_ingestion.sources import fetch_source
from model_selection.data import load_training_data
from model_selection.evaluation import evaluate_candidate, evaluate_fold, select_best
from model_selection.tracking import check_tracking
from model_selection.train import log_and_register
from paris_housing.settings import Settings
from paris_housing.storage import open_bucket


def _open_checked_bucket(uri: str | None, settings: Settings):
    bucket = open_bucket(uri, settings)
    bucket.check()
    return bucket


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


open_bucket_task = as_task(_open_checked_bucket, "open-bucket")
fetch_source_task = as_task(fetch_source, "fetch-source")
validate_task = as_task(validate_source, "validate")
store_task = as_task(store, "store-periods")
check_tracking_task = as_task(check_tracking, "check-tracking")
load_training_data_task = as_task(load_training_data, "load-training-data")
evaluate_fold_task = as_task(evaluate_fold, "cross-validate-fold")
evaluate_candidate_task = as_task(evaluate_candidate, "fit-and-holdout")
select_best_task = as_task(select_best, "select-best")
log_and_register_task = as_task(log_and_register, "log-register-promote")
