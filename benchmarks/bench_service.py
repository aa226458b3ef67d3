"""The prediction service against the tools a user would otherwise pick, in one run.

Four HTTP servers run side by side, each with the same number of worker processes (one per core,
at most 4), and are loaded in turn by wrk (concurrency 16, single-row bodies), in interleaved
rounds so that a change in the machine's load hits all of them alike:

- ``service``: ``paris-housing serve`` on an XGBoost champion (prediction log on, to the bucket);
- ``service (no log)``: the same with the prediction log off;
- ``ceiling``: a FastAPI route that parses and validates the same body and answers a constant
  (``benchmarks/ceiling_app.py``);
- ``mlflow models serve``: MLflow's own server on the same registered champion;
- ``service (linear)``: the service on a linear champion (the kind model selection picks).

Each figure is the median over rounds; each ratio is the median of the per-round ratios. Then a
million rows are scored in-process, by the service's scorer and by the raw pipeline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from benchmarks.report import Report
from paris_housing.datasets import get_spec
from paris_housing.settings import Settings
from tests.servers import VENV_BIN, Server, free_port
from tests.webservice import registry_fixtures as fixtures
from webservice.client import example

CONCURRENCY = 16
THREADS = 2
ROUNDS = 3
ROUND_SECONDS = 5
WARMUP_SECONDS = 2
BATCH_ROWS = 1_000_000
WRK_SCRIPT = Path(__file__).with_name("wrk_post.lua")
UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


@dataclass
class Load:
    """One wrk run."""

    rps: float
    p50: float
    p99: float
    requests: int
    failed: int


@dataclass
class Target:
    """A server under test and what to send it."""

    name: str
    server: Server
    port: int
    path: str
    body: Path
    ready_path: str
    loads: list[Load] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The loaded URL."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def ready(self) -> bool:
        """Whether the server answers its readiness URL."""
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{self.ready_path}", timeout=2).is_success
        except httpx.HTTPError:
            return False

    def median(self, attribute: str) -> float:
        """Median over rounds of one figure."""
        return statistics.median(getattr(load, attribute) for load in self.loads)


def wrk(target: Target, seconds: int) -> Load:
    """Load ``target`` with wrk for ``seconds``; parse throughput, latency and failures."""
    result = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONCURRENCY}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(WRK_SCRIPT),
            target.url,
        ],
        env={**os.environ, "WRK_BODY": str(target.body)},
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout

    def latency(percent: str) -> float:
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (
        int(non_2xx.group(1)) if non_2xx else 0
    )
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=latency("50"),
        p99=latency("99"),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        failed=failed,
    )


def workers() -> int:
    """One worker per core, at most 4, the same for every server."""
    return max(1, min(os.cpu_count() or 1, 4))


def _registries(root: Path, spec, data) -> tuple[fixtures.Registry, fixtures.Registry]:
    xgboost = fixtures.create_registry(root / "registry-xgboost", spec)
    fixtures.register(xgboost, fixtures.xgboost_pipeline(data), data, "xgboost", alias="champion")
    linear = fixtures.create_registry(root / "registry-linear", spec)
    fixtures.register(linear, fixtures.linear_pipeline(data), data, "linear", alias="champion")
    return xgboost, linear


def _service(name: str, root: Path, registry: fixtures.Registry, log: bool, count: int) -> Target:
    port = free_port()
    local = root / name.replace(" ", "-").replace("(", "").replace(")", "")
    env = {
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "PARIS_HOUSING_LOCAL_DIR": str(local),
        "PARIS_HOUSING_BUCKET": str(local / "bucket"),
        "PARIS_HOUSING_PREDICTION_LOG_ENABLED": "true" if log else "false",
        "PROMETHEUS_MULTIPROC_DIR": str(local / "prometheus"),
    }
    args = [str(VENV_BIN / "paris-housing"), "serve", "--port", str(port), "--workers", str(count)]
    server = Server(name, args, local / "server.log", env=env)
    return Target(name, server, port, "/predict", root / "home.json", "/ready")


def _targets(root: Path, spec, data, count: int) -> list[Target]:
    xgboost, linear = _registries(root, spec, data)
    home = example(spec, Settings()).home  # the dataset's first home
    (root / "home.json").write_text(json.dumps(home))
    (root / "mlflow.json").write_text(json.dumps({"dataframe_records": [home]}))
    ceiling_port, mlflow_port = free_port(), free_port()
    path_env = {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    ceiling = Server(
        "ceiling",
        [
            str(VENV_BIN / "uvicorn"),
            "--factory",
            "benchmarks.ceiling_app:create_app",
            "--port",
            str(ceiling_port),
            "--workers",
            str(count),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        root / "ceiling.log",
    )
    mlflow = Server(
        "mlflow models serve",
        [
            str(VENV_BIN / "mlflow"),
            "models",
            "serve",
            "-m",
            f"models:/{spec.registered_model_name}@champion",
            "--env-manager",
            "local",
            "--host",
            "127.0.0.1",
            "--port",
            str(mlflow_port),
            "--workers",
            str(count),
        ],
        root / "mlflow.log",
        env={"MLFLOW_TRACKING_URI": xgboost.tracking_uri, **path_env},
    )
    return [
        _service("service", root, xgboost, True, count),
        _service("service (no log)", root, xgboost, False, count),
        Target("ceiling", ceiling, ceiling_port, "/predict", root / "home.json", "/health"),
        Target(
            "mlflow models serve",
            mlflow,
            mlflow_port,
            "/invocations",
            root / "mlflow.json",
            "/ping",
        ),
        _service("service (linear)", root, linear, True, count),
    ]


def _predictions_made(target: Target) -> int:
    text = httpx.get(f"http://127.0.0.1:{target.port}/metrics", timeout=10).text
    match = re.search(
        r"^paris_housing_predicted_price_eur_count(?:\{[^}]*\})? ([\d.e+]+)$", text, re.M
    )
    return int(float(match.group(1))) if match else 0


def _logged_rows(target: Target) -> int:
    import pyarrow.parquet as pq

    bucket = Path(target.server.env["PARIS_HOUSING_BUCKET"])
    return sum(pq.read_metadata(path).num_rows for path in bucket.rglob("*.parquet"))


def _http(report: Report, targets: list[Target]) -> None:
    for target in targets:
        target.server.start(target.ready, timeout=180)
    for target in targets:
        wrk(target, WARMUP_SECONDS)
    for number in range(ROUNDS):
        print(f"   round {number + 1}/{ROUNDS}", flush=True)
        for target in targets:
            target.loads.append(wrk(target, ROUND_SECONDS))
    by_name = {t.name: t for t in targets}
    service = by_name["service"]
    made = _predictions_made(service)
    for target in targets:
        target.server.stop()
    for target in targets:
        report.figure(f"{target.name}: requests/s", target.median("rps"), "req/s")
        report.figure(f"{target.name}: p50 latency", target.median("p50") * 1e3, "ms")
        report.figure(f"{target.name}: p99 latency", target.median("p99") * 1e3, "ms")
        report.figure(f"{target.name}: failed responses", sum(x.failed for x in target.loads), "")

    def per_round(a: str, b: str, attribute: str) -> float:
        return statistics.median(
            getattr(x, attribute) / getattr(y, attribute)
            for x, y in zip(by_name[a].loads, by_name[b].loads)
        )

    report.ratio(
        "service / mlflow models serve (requests/s)",
        per_round("service", "mlflow models serve", "rps"),
        20,
    )
    report.ratio("service / ceiling (requests/s)", per_round("service", "ceiling", "rps"), 0.6)
    report.ratio(
        "service p99 / ceiling p99", per_round("service", "ceiling", "p99"), 3, at_most=True
    )
    report.ratio(
        "service with log / without (requests/s)",
        per_round("service", "service (no log)", "rps"),
        0.9,
    )
    report.ratio(
        "service (linear) / ceiling (requests/s)", per_round("service (linear)", "ceiling", "rps")
    )
    failed = sum(x.failed for t in targets if t.name.startswith("service") for x in t.loads)
    report.ratio("service failed responses", failed, 0, at_most=True)
    logged = _logged_rows(service)
    report.figure("service: predictions made", made, "rows")
    report.figure("service: predictions in the log (bucket)", logged, "rows")
    report.ratio("prediction log rows / predictions made", logged / made if made else 0.0, 1.0)


def _best_seconds(function: Callable[[], object], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _batch(report: Report, name: str, registry: fixtures.Registry, spec, rows: np.ndarray) -> float:
    import mlflow.sklearn
    import pandas as pd

    from webservice.rows import RowChecker
    from webservice.scoring import load_champion, score_rows

    served = load_champion(Settings(mlflow_tracking_uri=registry.tracking_uri), spec)
    pipeline = mlflow.sklearn.load_model(f"models:/{registry.name}@champion")
    checker = RowChecker(spec)
    table = pd.DataFrame(rows, columns=spec.feature_names).astype(
        {c.name: c.dtype for c in spec.features}
    )
    raw = _best_seconds(lambda: pipeline.predict(table))
    ours = _best_seconds(lambda: score_rows(served.predictor, checker, rows))
    report.figure(f"{name}: raw pipeline.predict, {len(rows):,} rows", len(rows) / raw, "rows/s")
    report.figure(
        f"{name}: service scorer (validated), {len(rows):,} rows", len(rows) / ours, "rows/s"
    )
    return raw / ours


def run(report: Report) -> None:
    """Measure and report every figure and ratio of the prediction service."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install -y wrk)")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.pop("MONGODB_URI", None)  # the services log to their own bucket folder
    spec = get_spec(Settings().dataset)
    data = fixtures.split(spec, fixtures.shipped_frame(spec))
    count = workers()
    report.figure("worker processes per server", count, "")
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        root = Path(tmp)
        targets = _targets(root, spec, data, count)
        try:
            _http(report, targets)
        finally:
            for target in targets:
                target.server.stop()
        rows = np.tile(
            data.x_train.to_numpy(dtype=np.float64), (BATCH_ROWS // len(data.x_train) + 1, 1)
        )[:BATCH_ROWS]
        xgboost = fixtures.Registry(targets[0].server.env["MLFLOW_TRACKING_URI"], root, spec)
        linear = fixtures.Registry(targets[-1].server.env["MLFLOW_TRACKING_URI"], root, spec)
        report.ratio(
            "batch scoring / raw model (rows/s), XGBoost",
            _batch(report, "XGBoost", xgboost, spec, rows),
            0.8,
        )
        report.ratio(
            "batch scoring / raw model (rows/s), linear",
            _batch(report, "linear", linear, spec, rows),
            0.8,
        )
