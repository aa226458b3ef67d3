"""Markdown summaries of flow results, for Prefect artifacts and logs (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def candidates_markdown(
    candidates: Sequence[Any],
    chosen: str,
    decision: str,
    model: str,
    version: str,
    onnx: str | None = None,
) -> str:
    """A markdown table of the candidates' CV and holdout scores, then the registry decision."""
    lines = [
        "| candidate | CV RMSE | holdout RMSE | MAE | R² | MAPE | fit s | predict s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in candidates:
        mark = " **(chosen)**" if c.name == chosen else ""
        h = c.holdout
        lines.append(
            f"| {c.name}{mark} | {c.cv_rmse:,.0f} | {h.rmse:,.0f} | {h.mae:,.0f} | {h.r2:.7f} "
            f"| {h.mape:.3%} | {c.fit_seconds:.2f} | {c.predict_seconds:.3f} |"
        )
    lines += ["", f"**{model} version {version}**: {decision}"]
    if onnx:
        lines += ["", f"ONNX twin: {onnx}"]
    return "\n".join(lines)


def ingestion_markdown(manifest: Any, changed: bool) -> str:
    """A markdown summary of an ingested version: rows, quarantine, periods."""
    state = "stored" if changed else "already stored, nothing changed"
    lines = [
        f"Dataset **{manifest.dataset}** version `{manifest.version}` ({state}): "
        f"{manifest.rows:,} rows accepted, {manifest.quarantine.rows:,} quarantined.",
        "",
        f"| period | {manifest.time_column} | rows |",
        "|---:|:---:|---:|",
    ]
    lines += [f"| {p.period} | {p.time_min}–{p.time_max} | {p.rows:,} |" for p in manifest.periods]
    if manifest.quarantine.reasons:
        lines += ["", "| quarantine reason | rows |", "|---|---:|"]
        lines += [f"| {r} | {n:,} |" for r, n in manifest.quarantine.reasons.items()]
    return "\n".join(lines)
