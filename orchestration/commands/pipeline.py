"""``paris-housing pipeline`` / ``score`` / ``deploy``: the Prefect flows from the command line.

Without ``PREFECT_API_URL`` the flows run on Prefect's ephemeral API (nothing to start); with it
they report to that server and appear in its UI.
"""

from __future__ import annotations

import os

from rich.markdown import Markdown

from orchestration.console import console, fail, quiet_task_runs

# the stages' own errors that a user can act on; anything else is a bug and keeps its traceback
USER_ERRORS = (
    "BucketError",
    "SourceError",
    "InputError",
    "DataError",
    "TrackingUnavailable",
    "ScoringError",
    "RegistryMissing",
    "MlflowException",
    "KeyError",
    "SettingsError",
)


def _where() -> str:
    url = os.environ.get("PREFECT_API_URL")
    return f"the Prefect server at {url}" if url else "Prefect's ephemeral API"


def _chatter(verbose: bool) -> None:
    """Without ``verbose``, the terminal shows the flow's summaries, not every task's state."""
    if not verbose:
        quiet_task_runs()
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # read when mlflow is imported


def run_pipeline(
    source: str,
    dataset: str | None,
    bucket: str | None,
    candidates: str | None,
    verbose: bool = False,
) -> None:
    """Run the training flow; print the candidates and the decision; exit 1 if it failed."""
    from orchestration.flows.training import training_flow

    _chatter(verbose)

    names = [n.strip() for n in candidates.split(",") if n.strip()] if candidates else None
    console.print(f"Running the training flow on {_where()}…")
    try:
        outcome = training_flow(source=source, dataset=dataset, bucket=bucket, candidates=names)
    except Exception as exc:
        _fail_on_user_error("training", exc)
        raise
    console.print(Markdown(outcome.report))
    if outcome.outcome == "rejected":
        raise fail(f"{outcome.chosen} failed the quality gate: {outcome.decision}")


def run_score(
    period: int | None, key: str | None, dataset: str | None, verbose: bool = False
) -> None:
    """Run the batch-scoring flow and say where the predictions are."""
    from orchestration.flows.scoring import scoring_flow

    _chatter(verbose)

    console.print(f"Running the scoring flow on {_where()}…")
    try:
        outcome = scoring_flow(period=period, key=key, dataset=dataset)
    except Exception as exc:
        _fail_on_user_error("scoring", exc)
        raise
    rmse = f", RMSE {outcome.rmse:,.0f} EUR against the known prices" if outcome.rmse else ""
    console.print(
        f"Scored {outcome.rows:,} rows with {outcome.model_name} version "
        f"{outcome.model_version}{rmse}: predictions in {outcome.key}"
    )


def run_deploy(schedules: bool) -> None:
    """Serve the deployments until interrupted (needs a Prefect server: PREFECT_API_URL)."""
    if not os.environ.get("PREFECT_API_URL"):
        raise fail(
            "deployments need a Prefect server: start one with `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (see the README)"
        )
    from orchestration.deployments import serve_deployments

    serve_deployments(schedules=schedules)


def _fail_on_user_error(name: str, exc: Exception) -> None:
    """Exit 1 with one sentence for an error the user can act on (a bug keeps its traceback)."""
    if any(cls.__name__ in USER_ERRORS for cls in type(exc).__mro__):
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        raise fail(f"the {name} flow failed: {message}") from exc
