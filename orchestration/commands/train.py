"""``paris-housing train``: progress while it works, then the candidates and the decision."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from orchestration.console import console, fail, user_errors

if TYPE_CHECKING:  # pragma: no cover
    from orchestration.pipeline import TrainResult

OUTCOME_STYLE = {"promoted": "bold green", "challenger": "bold yellow", "rejected": "bold red"}


def run_train(dataset: str | None, candidates: str | None) -> None:
    """Run the selection with a progress display, print what it did; exit 1 if it was rejected."""
    from mlflow.exceptions import MlflowException

    from model_selection.data import DataError
    from model_selection.promotion import Outcome
    from model_selection.tracking import TrackingUnavailable
    from orchestration.pipeline import train_models
    from paris_housing.settings import SettingsError
    from paris_housing.storage import BucketError

    logging.getLogger("mlflow").setLevel(logging.WARNING)  # its INFO lines would break the display
    names = [n.strip() for n in candidates.split(",") if n.strip()] if candidates else None
    with user_errors(
        BucketError, TrackingUnavailable, DataError, MlflowException, KeyError, SettingsError
    ):
        with console.status("training") as status:
            result = train_models(
                dataset=dataset,
                candidates=names,
                step=lambda name: status.update(f"[bold]{name}[/]…"),
            )
    print_summary(result)
    registration = result.registration
    if registration.decision.outcome is Outcome.REJECTED:
        raise fail(
            f"{registration.candidate} (version {registration.version}) failed the quality "
            f"gate of dataset {result.dataset}, so it was not promoted"
        )


def print_summary(result: TrainResult) -> None:
    """The candidates' scores, the chosen one, the registry decision and where it was tracked."""
    last = len(result.period_spans)
    spans = result.period_spans
    console.print(
        f"[bold]Dataset {result.dataset}, version {result.dataset_version}[/]: trained on periods "
        f"1–{last - 1} ({result.train_span}), "
        f"cross-validated with an expanding window, held out period {last} ({spans[-1]})"
    )
    table = Table(
        title="Candidates (holdout period)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        caption="* chosen: the lowest CV RMSE (mean over the folds); the other columns are "
        "measured on the holdout period",
        caption_justify="left",
    )
    widest = max(len(r.name) for r in result.candidates) + 2  # room for the " *" of the chosen
    table.add_column("candidate", min_width=widest, no_wrap=True)
    for name in ("CV RMSE", "RMSE", "MAE", "R²", "MAPE", "fit s", "pred. s"):
        table.add_column(name, justify="right", no_wrap=True)
    for r in sorted(result.candidates, key=lambda r: r.cv_rmse):
        chosen = r.name == result.chosen
        table.add_row(
            f"{r.name} *" if chosen else r.name,
            f"{r.cv_rmse:,.0f}",
            f"{r.holdout.rmse:,.0f}",
            f"{r.holdout.mae:,.0f}",
            f"{r.holdout.r2:.7f}",
            f"{r.holdout.mape:.3%}",
            f"{r.fit_seconds:.2f}",
            f"{r.predict_seconds:.3f}",
            style="bold" if chosen else None,
        )
    console.print(table)
    reg = result.registration
    outcome = reg.decision.outcome.value
    console.print(
        f"Registered [bold]{reg.model_name}[/] version {reg.version} ({reg.candidate}): "
        f"[{OUTCOME_STYLE[outcome]}]{outcome}[/] — {reg.decision.reason}.",
        soft_wrap=True,
    )
    served = "served by ONNX Runtime" if reg.onnx.passed else "the service will run the pipeline"
    console.print(f"ONNX twin: {reg.onnx.sentence} ({served}).", soft_wrap=True)
    console.print(
        f"Tracked in {result.tracking_uri} (run {result.selection.run_id}) "
        f"in {result.seconds:.1f} s.",
        soft_wrap=True,
    )
