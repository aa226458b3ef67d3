"""The ``paris-housing`` command line.

Each command imports its stage when it runs, so ``paris-housing --help`` is instant and no command
pays for a library it does not use.
"""

from __future__ import annotations

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


if __name__ == "__main__":  # pragma: no cover
    app()
