"""The deployments of the flows, with their schedules, served by this process.

``paris-housing deploy`` (or ``make deploy``) registers them with the Prefect server named by
``PREFECT_API_URL`` and runs their flow runs until stopped; each run, scheduled or triggered with
``prefect deployment run 'paris-housing-training/weekly-retraining'``, executes in a subprocess.
"""

from __future__ import annotations

from typing import Any

from orchestration.flows.scoring import scoring_flow
from orchestration.flows.training import training_flow
from paris_housing.settings import Settings, get_settings

TRAINING_DEPLOYMENT = "weekly-retraining"
SCORING_DEPLOYMENT = "daily-scoring"


def build_deployments(settings: Settings | None = None, schedules: bool = True) -> list[Any]:
    """The deployments to serve: weekly retraining and daily scoring of the newest period."""
    from prefect.schedules import Cron

    settings = settings or get_settings()

    def schedule(cron: str) -> list[Any] | None:
        return [Cron(cron, timezone=settings.schedule_timezone)] if schedules else None

    return [
        training_flow.to_deployment(
            name=TRAINING_DEPLOYMENT,
            schedules=schedule(settings.training_cron),
            description="Ingest the dataset, then select, register and promote a model.",
            tags=["paris-housing", "training"],
        ),
        scoring_flow.to_deployment(
            name=SCORING_DEPLOYMENT,
            schedules=schedule(settings.scoring_cron),
            description="Score the newest period with the champion; predictions to the bucket.",
            tags=["paris-housing", "scoring"],
        ),
    ]


def serve_deployments(settings: Settings | None = None, schedules: bool = True) -> None:
    """Register the deployments and execute their runs until interrupted."""
    from prefect import serve

    serve(*build_deployments(settings, schedules), print_starting_message=True)
