"""Benchmarks (``make bench``): figures measured side by side in one run, reported as ratios.

Each ``benchmarks/bench_*.py`` module has ``run(report: Report) -> None``.
"""
