"""Ingestion at scale: `paris-housing ingest` of a generated CSV, rows per second and peak memory.

In one run: a CSV of the spec's columns (random allowed values, a few bad rows among them: a
ragged row, an out-of-range value, a repeat) is written to a temporary folder, then
`paris-housing ingest --source FILE --bucket TMP` runs in a fresh interpreter, whose peak
resident memory (``ru_maxrss`` of the child) and wall time are measured. The size is
``PARIS_HOUSING_BENCH_INGEST_MB`` (default 200; the issue's target is stated for 1 GB, 1024, which
needs about 16 GB of memory today: see the ratio).

Targets: at least 100,000 rows/s, peak memory at most 2x the file size.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from benchmarks.report import Report
from paris_housing.datasets import KAGGLE, DatasetSpec
from paris_housing.datasets.spec import Kind

ROWS_PER_SECOND = 100_000
MEMORY_PER_FILE_BYTE = 2.0
CHUNK_ROWS = 500_000
BYTES_PER_ROW = 64  # about, for the shipped columns: sizes the file from the megabytes asked


def write_csv(path: Path, spec: DatasetSpec, megabytes: int, seed: int = 0) -> int:
    """Write about ``megabytes`` MB of allowed random rows, plus one ragged row, one value out of
    range and one repeat; return the number of data rows."""
    rng = np.random.default_rng(seed)
    target = megabytes * 1_000_000
    rows = 0
    with pa.OSFile(str(path), "wb") as sink:
        header = True
        while sink.tell() < target:
            chunk = _chunk(spec, rng, CHUNK_ROWS)
            if header:  # the bad rows go to the first chunk
                chunk = _with_bad_rows(chunk, spec)
            pacsv.write_csv(chunk, sink, pacsv.WriteOptions(include_header=header))
            header = False
            rows += chunk.num_rows
        sink.write(b"1,2,3\n")  # ragged: the header has 17 fields
    return rows + 1


def _chunk(spec: DatasetSpec, rng: np.random.Generator, n: int) -> pa.Table:
    columns = {}
    for column in spec.columns:
        if column.kind is Kind.NUMBER:
            values = np.round(rng.uniform(column.minimum, column.maximum, n), 1)
        else:
            values = rng.integers(int(column.minimum), int(column.maximum), n, endpoint=True)
        columns[column.name] = values
    return pa.table(columns)


def _with_bad_rows(chunk: pa.Table, spec: DatasetSpec) -> pa.Table:
    frame = chunk.to_pandas()
    frame.loc[10, spec.columns[0].name] = -1  # out of range
    frame.loc[20] = frame.loc[5]  # a repeat
    return pa.Table.from_pandas(frame, preserve_index=False)


def run(report: Report) -> None:
    """Generate the file, ingest it in a child interpreter, report throughput and memory."""
    megabytes = int(os.environ.get("PARIS_HOUSING_BENCH_INGEST_MB", "200"))
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        root = Path(folder)
        source = root / "homes.csv"
        started = time.perf_counter()
        rows = write_csv(source, KAGGLE, megabytes)
        report.figure("ingest: generating the CSV", time.perf_counter() - started, "s")
        size = source.stat().st_size
        report.figure("ingest: file size", size / 2**20, "MiB")
        report.figure("ingest: data rows", rows, "rows")
        env = {
            **os.environ,
            "PARIS_HOUSING_LOCAL_DIR": str(root / ".local"),
            "PARIS_HOUSING_BUCKET": str(root / "bucket"),
        }
        command = [
            str(Path(sys.executable).parent / "paris-housing"),
            "ingest",
            "--source",
            str(source),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
        if done.returncode != 0:
            raise RuntimeError(f"the ingestion failed: {done.stdout}{done.stderr}")
        if peak <= before * 1024:
            print("(the peak of an earlier child is larger: the memory figure is an upper bound)")
        report.figure("ingest: wall time, interpreter start included", seconds, "s")
        report.figure("ingest: peak resident memory", peak / 2**20, "MiB")
        report.ratio(f"ingest: rows/s / {ROWS_PER_SECOND:,}", rows / seconds / ROWS_PER_SECOND, 1.0)
        report.ratio(
            "ingest: peak memory / file size", peak / size, MEMORY_PER_FILE_BYTE, at_most=True
        )
