"""``python -m benchmarks [NAME ...]``: run the benchmarks (all by default) and report.

Exits 1 when a ratio misses its target, so a regression is visible.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

import benchmarks
from benchmarks.report import Report

RESULTS = Path("bench-results") / "bench.json"


def main(argv: list[str]) -> int:
    """Run the named benchmarks (``bench_NAME`` modules), print and write their figures."""
    available = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("bench_")
    )
    names = argv or available
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    report = Report()
    for name in names:
        print(f"== {name}", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").run(report)
    report.write(RESULTS)
    print(f"written to {RESULTS}")
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
