"""``paris-housing ingest``: progress while it works, then a summary table."""

from __future__ import annotations

from rich.table import Table

from orchestration.console import console, user_errors


def run_ingest(source: str, bucket: str | None, dataset: str | None) -> None:
    """Run the ingestion with a progress display and print what it did."""
    from data_ingestion.ingest import IngestResult
    from data_ingestion.sources import SourceError
    from data_ingestion.validation import InputError
    from orchestration.pipeline import ingest_dataset
    from paris_housing.storage import BucketError

    with user_errors(BucketError, SourceError, InputError, KeyError):
        with console.status("ingesting") as status:
            result: IngestResult = ingest_dataset(
                source=source,
                bucket_uri=bucket,
                dataset=dataset,
                step=lambda name: status.update(f"[bold]{name}[/]…"),
            )
    print_summary(result)


def print_summary(result) -> None:
    """The rows accepted and quarantined (and why), the periods, and where they are."""
    m = result.manifest
    console.print(f"[bold]Dataset {m.dataset}, version {m.version}[/]")
    totals = Table()
    totals.add_column("rows", justify="left")
    totals.add_column("count", justify="right")
    totals.add_row("read from the source", f"{m.source.rows:,}")
    totals.add_row("accepted", f"{m.rows:,}")
    totals.add_row("quarantined", f"{m.quarantine.rows:,}")
    console.print(totals)

    if m.quarantine.reasons:
        reasons = Table(title="Quarantine: failed checks", title_justify="left")
        reasons.add_column("column: check")
        reasons.add_column("rows", justify="right")
        for reason, count in m.quarantine.reasons.items():
            reasons.add_row(reason, f"{count:,}")
        console.print(reasons)

    periods = Table(title=f"Periods, ordered by {m.time_column}", title_justify="left")
    for name, justify in (
        ("period", "right"),
        (m.time_column, "center"),
        ("rows", "right"),
        ("object", "left"),
    ):
        periods.add_column(name, justify=justify)
    for p in m.periods:
        periods.add_row(str(p.period), f"{p.time_min}–{p.time_max}", f"{p.rows:,}", p.key)
    console.print(periods)

    if m.quarantine.object:
        console.print(
            f"Quarantined rows with their reasons: {result.bucket}/{m.quarantine.object.key}"
        )
    if result.ignored_columns:
        console.print(f"Ignored columns not in the spec: {', '.join(result.ignored_columns)}")
    state = "stored" if result.changed else "already stored, nothing changed"
    console.print(
        f"Source {m.source.uri} (sha256 {m.source.sha256[:12]}…) {state} in {result.bucket}"
    )
