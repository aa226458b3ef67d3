"""Collect benchmark figures and ratios, print one line each, and write them to JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Figure:
    """A measured value."""

    name: str
    value: float
    unit: str


@dataclass
class Ratio:
    """A ratio of two figures of the same run, with its target when it has one."""

    name: str
    value: float
    target: float | None = None
    at_most: bool = False  # the target is a ceiling, not a floor

    @property
    def met(self) -> bool | None:
        """Whether the target holds (None without a target)."""
        if self.target is None:
            return None
        return self.value <= self.target if self.at_most else self.value >= self.target


@dataclass
class Report:
    """Every figure and ratio of one ``make bench`` run."""

    figures: list[Figure] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)

    def figure(self, name: str, value: float, unit: str) -> float:
        """Record and print a measured value."""
        self.figures.append(Figure(name, value, unit))
        print(f"{name:<58} {value:>14,.3f} {unit}", flush=True)
        return value

    def ratio(
        self, name: str, value: float, target: float | None = None, at_most: bool = False
    ) -> Ratio:
        """Record and print a ratio and whether it meets its target."""
        ratio = Ratio(name, value, target, at_most)
        self.ratios.append(ratio)
        goal = "" if target is None else f"  target {'<=' if at_most else '>='} {target:g}"
        verdict = {None: "", True: "  met", False: "  MISSED"}[ratio.met]
        print(f"{name:<58} {value:>14,.3f} x{goal}{verdict}", flush=True)
        return ratio

    @property
    def missed(self) -> list[Ratio]:
        """The ratios whose target does not hold."""
        return [r for r in self.ratios if r.met is False]

    def write(self, path: Path) -> None:
        """Write every figure and ratio, with when and where they were measured, as JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": {"python": platform.python_version(), "cpu": platform.processor()},
            "figures": [asdict(f) for f in self.figures],
            "ratios": [{**asdict(r), "met": r.met} for r in self.ratios],
        }
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
