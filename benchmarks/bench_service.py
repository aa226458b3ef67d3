"""The prediction service against the tools a user would otherwise pick, in one run.

Model selection makes three champions on a sample of the shipped data, one per model family the
selection can choose (linear, XGBoost, LightGBM; :mod:`benchmarks.champions`). HTTP servers then
run side by side, each with :data:`WORKERS` worker processes, and are loaded in turn by wrk
(concurrency 16, single-row bodies), in interleaved rounds so that a change in the machine's load
hits all of them alike:

- ``service (F)``: ``paris-housing serve`` on family F's champion (prediction log on, to its
  own bucket folder), for each family;
- ``mlflow models serve (F)``: MLflow's own server on the same registered champion;
- ``service (XGBoost, no log)``: the XGBoost service with the prediction log off;
- ``ceiling``: a FastAPI route that parses and validates the same body and answers a constant
  (``benchmarks/ceiling_app.py``).

Each figure is the median over rounds; each ratio is the median of the per-round ratios. The CPU
time each server's processes use per answered request is reported beside its throughput: on a
shared machine it moves less than requests/s do. Then,
for each family, a million rows are scored in-process, by the service's scorer and by the raw
pipeline.
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

from benchmarks.champions import ANY_FAMILY_GATE, TrainedRegistry, train_registry
from benchmarks.report import Report
from benchmarks.servers import VENV_BIN, Server, free_port
from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.settings import Settings
from webservice.client import example

CONCURRENCY = 16
THREADS = 2
ROUNDS = 3
ROUND_SECONDS = 5
WARMUP_SECONDS = 2
BATCH_ROWS = 1_000_000
WORKERS = 2  # worker processes of every server: the service, the ceiling, mlflow models serve
FAMILIES = {"linear": "linear", "XGBoost": "xgboost", "LightGBM": "lightgbm"}  # label: candidate
NO_LOG_FAMILY = "XGBoost"
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
    cpu_per_request: float = 0.0  # the server's CPU seconds per answered request


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


def _champions(root: Path) -> dict[str, TrainedRegistry]:
    """Each family's champion, selected by the real pipeline in a registry of its own."""
    return {
        label: train_registry(root / f"registry-{candidate}", [[candidate]], gate=ANY_FAMILY_GATE)
        for label, candidate in FAMILIES.items()
    }


def _service(name: str, root: Path, registry: TrainedRegistry, log: bool) -> Target:
    port = free_port()
    local = root / re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    env = {
        "MLFLOW_TRACKING_URI": registry.tracking_uri,
        "PARIS_HOUSING_LOCAL_DIR": str(local),
        "PARIS_HOUSING_BUCKET": str(local / "bucket"),
        "PARIS_HOUSING_PREDICTION_LOG_ENABLED": "true" if log else "false",
        "PROMETHEUS_MULTIPROC_DIR": str(local / "prometheus"),
    }
    args = [
        str(VENV_BIN / "paris-housing"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
    ]
    server = Server(name, args, local / "server.log", env=env)
    return Target(name, server, port, "/predict", root / "home.json", "/ready")


def _mlflow(name: str, root: Path, registry: TrainedRegistry, spec: DatasetSpec) -> Target:
    port = free_port()
    server = Server(
        name,
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
            str(port),
            "--workers",
            str(WORKERS),
        ],
        root / f"{name.replace(' ', '-')}.log",
        env={
            "MLFLOW_TRACKING_URI": registry.tracking_uri,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        },
    )
    return Target(name, server, port, "/invocations", root / "mlflow.json", "/ping")


def _ceiling(root: Path) -> Target:
    port = free_port()
    server = Server(
        "ceiling",
        [
            str(VENV_BIN / "uvicorn"),
            "--factory",
            "benchmarks.ceiling_app:create_app",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        root / "ceiling.log",
    )
    return Target("ceiling", server, port, "/predict", root / "home.json", "/health")


def _targets(root: Path, spec: DatasetSpec, champions: dict[str, TrainedRegistry]) -> list[Target]:
    home = example(spec, Settings()).home  # the dataset's first home
    (root / "home.json").write_text(json.dumps(home))
    (root / "mlflow.json").write_text(json.dumps({"dataframe_records": [home]}))
    targets = [_ceiling(root)]
    for label, registry in champions.items():
        targets.append(_service(f"service ({label})", root, registry, True))
        targets.append(_mlflow(f"mlflow models serve ({label})", root, registry, spec))
    no_log = f"service ({NO_LOG_FAMILY}, no log)"
    targets.append(_service(no_log, root, champions[NO_LOG_FAMILY], False))
    return targets


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


def _describe(target: Target) -> None:
    """Print the predictor a service serves with and its ONNX check (from ``/model``)."""
    model = httpx.get(f"http://127.0.0.1:{target.port}/model", timeout=10).json()
    why = model["predictor_fallback_reason"] or model["onnx_check"]
    print(f"   {target.name}: version {model['version']}, {model['predictor']} ({why})", flush=True)


def _load(targets: list[Target]) -> None:
    """Warm every server up, then load each in turn, round after round."""
    for target in targets:
        wrk(target, WARMUP_SECONDS)
    for number in range(ROUNDS):
        print(f"   round {number + 1}/{ROUNDS}", flush=True)
        for target in targets:
            before = target.server.cpu_seconds()
            load = wrk(target, ROUND_SECONDS)
            load.cpu_per_request = (target.server.cpu_seconds() - before) / max(load.requests, 1)
            target.loads.append(load)


def _http(report: Report, targets: list[Target]) -> None:
    for target in targets:
        target.server.start(target.ready, timeout=180)
    services = [t for t in targets if t.name.startswith("service")]
    for service in services:
        _describe(service)
    _load(targets)
    logging = [t for t in services if not t.name.endswith("no log)")]
    made = {t.name: _predictions_made(t) for t in logging}
    for target in targets:
        target.server.stop()
    for target in targets:
        report.figure(f"{target.name}: requests/s", target.median("rps"), "req/s")
        report.figure(f"{target.name}: p50 latency", target.median("p50") * 1e3, "ms")
        report.figure(f"{target.name}: p99 latency", target.median("p99") * 1e3, "ms")
        report.figure(f"{target.name}: failed responses", sum(x.failed for x in target.loads), "")
        report.figure(
            f"{target.name}: server CPU per request", target.median("cpu_per_request") * 1e6, "us"
        )
    by_name = {t.name: t for t in targets}

    def per_round(a: str, b: str, attribute: str) -> float:
        return statistics.median(
            getattr(x, attribute) / getattr(y, attribute)
            for x, y in zip(by_name[a].loads, by_name[b].loads)
        )

    for label in FAMILIES:
        service = f"service ({label})"
        report.ratio(
            f"{service} / mlflow models serve (requests/s)",
            per_round(service, f"mlflow models serve ({label})", "rps"),
            20,
        )
        report.ratio(f"{service} / ceiling (requests/s)", per_round(service, "ceiling", "rps"), 0.6)
        report.ratio(
            f"{service} p99 / ceiling p99", per_round(service, "ceiling", "p99"), 3, at_most=True
        )
        report.ratio(
            f"mlflow models serve ({label}) / {service} (server CPU per request)",
            per_round(f"mlflow models serve ({label})", service, "cpu_per_request"),
        )
    report.ratio(
        f"service ({NO_LOG_FAMILY}) with log / without (requests/s)",
        per_round(f"service ({NO_LOG_FAMILY})", f"service ({NO_LOG_FAMILY}, no log)", "rps"),
        0.9,
    )
    failed = sum(x.failed for t in services for x in t.loads)
    report.ratio("service failed responses", failed, 0, at_most=True)
    for target in logging:
        logged = _logged_rows(target)
        report.figure(f"{target.name}: predictions made", made[target.name], "rows")
        report.figure(f"{target.name}: predictions in the log (bucket)", logged, "rows")
        report.ratio(
            f"{target.name}: prediction log rows / predictions made",
            logged / made[target.name] if made[target.name] else 0.0,
            1.0,
        )


def _best_seconds(function: Callable[[], object], repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _batch(report: Report, label: str, registry: TrainedRegistry, spec: DatasetSpec) -> float:
    """Score a million rows as every batch is scored (the spec's rules, then
    :meth:`ServedModel.score`) and with the raw pipeline; their ratio."""
    import pandas as pd

    from paris_housing.datasets.arrays import valid_rows
    from webservice.model_source import RegistrySource

    source = RegistrySource(registry.settings, spec)
    served = source.load(source.resolve())
    pipeline = registry.results[0].candidates[0].model
    shipped = pd.read_csv(Settings().shipped_data_dir / spec.source.file_name)
    homes = shipped[spec.feature_names].to_numpy(np.float64)
    rows = np.tile(homes, (BATCH_ROWS // len(homes) + 1, 1))[:BATCH_ROWS]
    table = pd.DataFrame(rows, columns=spec.feature_names).astype(
        {c.name: c.dtype for c in spec.features}
    )
    raw = _best_seconds(lambda: pipeline.predict(table))
    ours = _best_seconds(lambda: served.score(valid_rows(spec, rows)))
    report.figure(f"{label}: raw pipeline.predict, {len(rows):,} rows", len(rows) / raw, "rows/s")
    report.figure(
        f"{label}: ServedModel.score ({served.predictor.kind}, rows checked), "
        f"{len(rows):,} rows",
        len(rows) / ours,
        "rows/s",
    )
    return raw / ours


def run(report: Report) -> None:
    """Measure and report every figure and ratio of the prediction service."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install -y wrk)")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.pop("MONGODB_URI", None)  # the services log to their own bucket folder
    spec = get_spec(Settings().dataset)
    report.figure("worker processes per server", WORKERS, "")
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        root = Path(tmp)
        print("   training the champions (linear, XGBoost, LightGBM)", flush=True)
        champions = _champions(root)
        targets = _targets(root, spec, champions)
        try:
            _http(report, targets)
        finally:
            for target in targets:
                target.server.stop()
        for label, registry in champions.items():
            report.ratio(
                f"batch scoring / raw model (rows/s), {label}",
                _batch(report, label, registry, spec),
                0.8,
            )
