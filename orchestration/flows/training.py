"""The training flow: ingest -> validate -> train (cross-validation folds mapped as tasks) ->
evaluate -> register and promote, with the results as Prefect artifacts."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow, get_run_logger, unmapped
from prefect.artifacts import create_markdown_artifact

from model_selection.candidates import get_candidates
from orchestration.flows.reporting import candidates_markdown, ingestion_markdown
from orchestration.flows.tasks import (
    check_tracking_task,
    evaluate_candidate_task,
    evaluate_fold_task,
    fetch_source_task,
    load_training_data_task,
    log_and_register_task,
    open_bucket_task,
    select_best_task,
    store_task,
    validate_task,
    with_retries,
)
from paris_housing.datasets import get_spec
from paris_housing.settings import get_settings

FLOW_NAME = "paris-housing-training"


@dataclass(frozen=True)
class TrainingOutcome:
    """What a training flow run did, in plain values."""

    dataset: str
    dataset_version: str
    ingest_changed: bool
    chosen: str
    model_name: str
    model_version: str
    outcome: str
    decision: str
    holdout_rmse: float
    report: str  # markdown: the candidates' table and the decision


@flow(name=FLOW_NAME, log_prints=True)
def training_flow(
    source: str = "auto",
    dataset: str | None = None,
    bucket: str | None = None,
    candidates: list[str] | None = None,
) -> TrainingOutcome:
    """Ingest ``source`` into the bucket, then select, register and promote a model.

    ``candidates`` limits the models tried (default: all of them).
    """
    logger = get_run_logger()
    settings = get_settings()
    if bucket:
        settings = settings.model_copy(update={"bucket": bucket})
    spec = get_spec(dataset or settings.dataset)

    bucket_obj = with_retries(open_bucket_task, settings)(settings.bucket, settings)
    raw = with_retries(fetch_source_task, settings)(source, spec, settings)
    validated = validate_task(raw, spec)
    ingested = with_retries(store_task, settings)(raw, validated, spec, bucket_obj)
    logger.info(
        "dataset %s version %s: %d rows accepted, %d quarantined (%s)",
        spec.name,
        ingested.manifest.version,
        ingested.manifest.rows,
        ingested.manifest.quarantine.rows,
        "stored" if ingested.changed else "already stored",
    )
    create_markdown_artifact(
        ingestion_markdown(ingested.manifest, ingested.changed),
        key=f"{spec.name}-ingestion",
        description="The ingested dataset version",
    )

    with_retries(check_tracking_task, settings)(settings)
    data = with_retries(load_training_data_task, settings)(spec.name, settings)
    names = [c.name for c in get_candidates(candidates)]
    fold_runs = {
        name: evaluate_fold_task.map(unmapped(name), unmapped(data), data.folds) for name in names
    }
    results = [
        evaluate_candidate_task(name, data, folds=[f.result() for f in fold_runs[name]])
        for name in names
    ]
    chosen = select_best_task(results)
    _, _, registration = log_and_register_task(data, results, chosen, settings)

    decision = registration.decision
    logger.info(
        "registered %s version %s (%s): %s",
        registration.model_name,
        registration.version,
        registration.candidate,
        decision.tag,
    )
    report = candidates_markdown(
        results, chosen.name, decision.tag, registration.model_name, registration.version
    )
    create_markdown_artifact(
        report,
        key=f"{spec.name}-candidates",
        description="Candidates, their scores and the promotion decision",
    )
    return TrainingOutcome(
        dataset=spec.name,
        dataset_version=data.version,
        ingest_changed=ingested.changed,
        chosen=chosen.name,
        model_name=registration.model_name,
        model_version=registration.version,
        outcome=decision.outcome.value,
        decision=decision.tag,
        holdout_rmse=registration.holdout.rmse,
        report=report,
    )
