"""The ``paris-housing`` command line.

Each command imports its stage when it runs, so ``paris-housing --help`` is instant and no command
pays for a library it does not use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestration.console import setup_logging

app = typer.Typer(
    name="paris-housing",
    help="Estimate what a home in Paris costs: ingest, train, serve, monitor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

BucketOption = Annotated[
    str | None,
    typer.Option(
        "--bucket",
        help="Bucket URI: a folder path or s3://bucket/prefix [default: PARIS_HOUSING_BUCKET].",
        show_default=False,
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Also show every Prefect task run's state (the UI always does)."
    ),
]
DatasetOption = Annotated[
    str | None,
    typer.Option(
        help="Dataset spec name [default: PARIS_HOUSING_DATASET or kaggle].", show_default=False
    ),
]


@app.callback()
def main() -> None:
    """Set up logging for every command."""
    setup_logging()


@app.command()
def ingest(
    source: Annotated[
        str,
        typer.Option(
            help="kaggle (Kaggle API), shipped (the copy in data/raw), a CSV path, or auto: "
            "kaggle when Kaggle credentials are configured, else shipped."
        ),
    ] = "auto",
    bucket: BucketOption = None,
    dataset: DatasetOption = None,
) -> None:
    """Validate a dataset and store it in the bucket as periods ordered in time."""
    from orchestration.commands.ingest import run_ingest

    run_ingest(source=source, bucket=bucket, dataset=dataset)


@app.command()
def train(
    dataset: DatasetOption = None,
    candidates: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated candidates to try, e.g. linear,ridge [default: all of them: "
            "linear, ridge, random_forest, xgboost, lightgbm].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Select a model on the ingested periods, track it in MLflow, register and promote it.

    Exits 1 when the chosen model fails the quality gate (it is registered, never promoted).
    """
    from orchestration.commands.train import run_train

    run_train(dataset=dataset, candidates=candidates)


@app.command()
def web(
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface [default: PARIS_HOUSING_WEB_HOST or 127.0.0.1].", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port [default: PARIS_HOUSING_WEB_PORT or 5000].", show_default=False),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="gunicorn worker processes.")] = 2,
) -> None:
    """Serve the web form; with MONGODB_URI unset, on the embedded MongoDB-wire server."""
    from orchestration.commands.web import run_web

    run_web(host=host, port=port, workers=workers)


@app.command("web-bundle")
def web_bundle(
    out: Annotated[Path, typer.Argument(help="A new folder to write the bundle to.")],
) -> None:
    """Write the web form as a folder a PaaS buildpack deploys (Procfile, requirements.txt)."""
    from orchestration.commands.web import run_web_bundle

    run_web_bundle(out)


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface [default: PARIS_HOUSING_API_HOST or 127.0.0.1].", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port [default: PARIS_HOUSING_API_PORT or 8000].", show_default=False),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes [default: PARIS_HOUSING_API_WORKERS or 1].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the registry's champion over HTTP (FastAPI on uvicorn): /predict, /docs, /metrics."""
    from orchestration.commands.serve import run_serve

    run_serve(host=host, port=port, workers=workers)


@app.command()
def predict(
    example: Annotated[
        bool, typer.Option("--example", help="Price a home of the shipped dataset.")
    ] = False,
    row: Annotated[
        int, typer.Option(min=0, help="Which home of the shipped dataset (0 = the first).")
    ] = 0,
    url: Annotated[
        str | None,
        typer.Option(help="The service [default: PARIS_HOUSING_API_URL].", show_default=False),
    ] = None,
) -> None:
    """Ask the running service to price a home of the dataset; show the estimate and the truth."""
    from orchestration.commands.predict import run_predict
    from orchestration.console import fail

    if not example and row == 0:
        raise fail("say which home: --example (the first one) or --row N")
    run_predict(row=row, url=url)


@app.command()
def pipeline(
    source: Annotated[
        str, typer.Option(help="What to ingest: auto, kaggle, shipped or a CSV path.")
    ] = "auto",
    bucket: BucketOption = None,
    dataset: DatasetOption = None,
    candidates: Annotated[
        str | None, typer.Option(help="Comma-separated candidates to try [default: all].")
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the training flow (ingest, validate, train, evaluate, promote) with Prefect."""
    from orchestration.commands.pipeline import run_pipeline

    run_pipeline(
        source=source, dataset=dataset, bucket=bucket, candidates=candidates, verbose=verbose
    )


@app.command()
def score(
    period: Annotated[
        int | None, typer.Option(help="Period of the latest dataset version [default: newest].")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Score this parquet object of the bucket instead.")
    ] = None,
    dataset: DatasetOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Score a period (or a parquet object) with the champion; write predictions to the bucket."""
    from orchestration.commands.pipeline import run_score

    run_score(period=period, key=key, dataset=dataset, verbose=verbose)


@app.command()
def deploy(
    schedules: Annotated[
        bool, typer.Option(help="Attach the weekly/daily schedules to the deployments.")
    ] = True,
) -> None:
    """Serve the flows' deployments on the Prefect server at PREFECT_API_URL until stopped."""
    from orchestration.commands.pipeline import run_deploy

    run_deploy(schedules=schedules)


@app.command()
def up() -> None:
    """Serve the prediction API and the web form together (what `make run` ends with)."""
    from orchestration.commands.up import run_up

    run_up()


if __name__ == "__main__":  # pragma: no cover
    app()
