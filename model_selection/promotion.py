"""The promotion rule (pure): the quality gate, then champion/challenger on the same holdout.

- A model that fails the gate (holdout RMSE above its maximum, R² below its minimum, or a
  behavioural check broken) is **rejected**: it gets no alias.
- Otherwise it becomes the **champion** when there is none, or when its holdout RMSE is at most
  the current champion's RMSE on the same holdout period (an equal model is promoted, so a second
  run on the same data moves ``champion`` to an identical model and says so).
- Otherwise it becomes the **challenger** and the champion stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from paris_housing.metrics import Metrics
from paris_housing.settings import QualityGate


class Outcome(str, Enum):
    """What happened to a registered model version."""

    PROMOTED = "promoted"
    CHALLENGER = "challenger"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ChampionScore:
    """The current champion and its metrics on the current holdout period."""

    version: str
    holdout: Metrics


@dataclass(frozen=True)
class Decision:
    """The outcome and the reason, with its numbers."""

    outcome: Outcome
    reason: str

    @property
    def tag(self) -> str:
        """The value of the version's ``decision`` tag, e.g. 'promoted: ...'."""
        return f"{self.outcome.value}: {self.reason}"


def gate_failures(metrics: Metrics, gate: QualityGate, violations: list[str]) -> list[str]:
    """Why the gate refuses ``metrics`` (empty when it passes)."""
    failures = []
    if not metrics.rmse <= gate.max_rmse:
        failures.append(f"holdout RMSE {metrics.rmse:,.1f} is above the maximum {gate.max_rmse:,g}")
    if not metrics.r2 >= gate.min_r2:
        failures.append(f"holdout R² {metrics.r2:.7f} is below the minimum {gate.min_r2}")
    return failures + violations


def decide(
    metrics: Metrics, gate: QualityGate, violations: list[str], champion: ChampionScore | None
) -> Decision:
    """Apply the promotion rule to a model with holdout ``metrics``."""
    failures = gate_failures(metrics, gate, violations)
    if failures:
        return Decision(Outcome.REJECTED, "failed the quality gate: " + "; ".join(failures))
    passed = (
        f"passed the quality gate (holdout RMSE {metrics.rmse:,.1f} <= {gate.max_rmse:,g}, "
        f"R² {metrics.r2:.7f} >= {gate.min_r2}"
        + (", behavioural checks held)" if gate.never_lower_with else ")")
    )
    if champion is None:
        return Decision(Outcome.PROMOTED, f"{passed}; there was no champion")
    theirs = f"champion v{champion.version}'s {champion.holdout.rmse:,.1f} on the same holdout"
    if metrics.rmse == champion.holdout.rmse:
        return Decision(Outcome.PROMOTED, f"{passed}; its holdout RMSE equals {theirs}")
    if metrics.rmse < champion.holdout.rmse:
        return Decision(
            Outcome.PROMOTED, f"{passed}; its holdout RMSE {metrics.rmse:,.1f} beats {theirs}"
        )
    return Decision(
        Outcome.CHALLENGER,
        f"{passed}, but its holdout RMSE {metrics.rmse:,.1f} is above {theirs}; "
        f"v{champion.version} stays champion",
    )
