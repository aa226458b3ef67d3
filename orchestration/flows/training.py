"""The training flow: the steps of :mod:`orchestration.pipeline` (ingest, validate, store, then
cross-validate with the folds mapped as tasks, fit, choose, log, register and promote) as Prefect
tasks, with the results as Prefect artifacts."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from model_selection.candidates import get_candidates
from orchestration.flows.reporting import candidates_markdown, ingestion_markdown
from orchestration.flows.tasks import PrefectRunner
from orchestration.pipeline import ingest_steps, train_steps
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

    runner = PrefectRunner(settings)
    names = [c.name for c in get_candidates(candidates)]
    ingested = ingest_steps(runner, source, spec, settings, settings.bucket)
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

    trained = train_steps(runner, spec, names, settings)
    registration, results, chosen = trained.registration, trained.candidates, trained.chosen
    decision = registration.decision
    logger.info(
        "registered %s version %s (%s): %s",
        registration.model_name,
        registration.version,
        registration.candidate,
        decision.tag,
    )
    report = candidates_markdown(
        results,
        chosen,
        decision.tag,
        registration.model_name,
        registration.version,
        registration.onnx.sentence,
    )
    create_markdown_artifact(
        report,
        key=f"{spec.name}-candidates",
        description="Candidates, their scores and the promotion decision",
    )
    return TrainingOutcome(
        dataset=spec.name,
        dataset_version=trained.dataset_version,
        ingest_changed=ingested.changed,
        chosen=chosen,
        model_name=registration.model_name,
        model_version=registration.version,
        outcome=decision.outcome.value,
        decision=decision.tag,
        holdout_rmse=registration.holdout.rmse,
        report=report,
    )
