"""The promotion rule: gate first, then champion/challenger on the same holdout."""

import pytest

from model_selection.promotion import ChampionScore, Outcome, decide, gate_failures
from paris_housing.metrics import Metrics
from paris_housing.settings import QualityGate, Settings

GATE = QualityGate(max_rmse=5_000, min_r2=0.9999, never_lower_with=("squareMeters",))
GOOD = Metrics(rmse=1_912.3, mae=1_487.9, r2=0.9999996, mape=0.0011)


def champion(rmse: float) -> ChampionScore:
    return ChampionScore("3", Metrics(rmse=rmse, mae=1_500.0, r2=0.9999995, mape=0.0012))


def test_without_champion_a_passing_model_is_promoted():
    decision = decide(GOOD, GATE, [], None)
    assert decision.outcome is Outcome.PROMOTED
    assert decision.reason == (
        "passed the quality gate (holdout RMSE 1,912.3 <= 5,000, R² 0.9999996 >= 0.9999, "
        "behavioural checks held); there was no champion"
    )
    assert decision.tag.startswith("promoted: passed the quality gate")


def test_a_better_model_replaces_the_champion():
    decision = decide(GOOD, GATE, [], champion(1_955.2))
    assert decision.outcome is Outcome.PROMOTED
    assert "its holdout RMSE 1,912.3 beats champion v3's 1,955.2 on the same holdout" in (
        decision.reason
    )


def test_an_equal_model_is_promoted_and_says_it_is_equal():
    decision = decide(GOOD, GATE, [], champion(GOOD.rmse))
    assert decision.outcome is Outcome.PROMOTED
    assert "its holdout RMSE equals champion v3's 1,912.3 on the same holdout" in decision.reason


def test_a_worse_model_becomes_challenger_and_the_champion_stays():
    decision = decide(GOOD, GATE, [], champion(1_900.0))
    assert decision.outcome is Outcome.CHALLENGER
    assert decision.reason.endswith(
        "but its holdout RMSE 1,912.3 is above champion v3's 1,900.0 on the same holdout; "
        "v3 stays champion"
    )


@pytest.mark.parametrize(
    "metrics, violations, expected",
    [
        (
            Metrics(6_000.0, 5_000.0, 0.99999, 0.01),
            [],
            ["holdout RMSE 6,000.0 is above the maximum 5,000"],
        ),
        (
            Metrics(4_000.0, 3_000.0, 0.9998, 0.01),
            [],
            ["holdout R² 0.9998000 is below the minimum 0.9999"],
        ),
        (GOOD, ["hasPool 0 -> 1 lowered the estimate of 3 of 10 rows (by up to 5)"], None),
        (Metrics(float("nan"), 0.0, float("nan"), 0.0), [], None),
    ],
)
def test_a_model_failing_the_gate_is_rejected_even_without_champion(metrics, violations, expected):
    failures = gate_failures(metrics, GATE, violations)
    assert failures == (expected if expected is not None else failures)
    assert failures, "the gate must refuse this model"
    for champ in (None, champion(1e9)):
        decision = decide(metrics, GATE, violations, champ)
        assert decision.outcome is Outcome.REJECTED
        assert decision.reason == "failed the quality gate: " + "; ".join(failures)


def test_the_kaggle_gate_is_configured_and_overridable(monkeypatch):
    default = Settings().quality_gates["kaggle"]
    assert (default.max_rmse, default.min_r2) == (5_000, 0.9999)
    assert set(default.never_lower_with) == {"squareMeters", "hasYard", "hasPool"}
    monkeypatch.setenv(
        "PARIS_HOUSING_QUALITY_GATES", '{"kaggle": {"max_rmse": 2500, "min_r2": 0.9}}'
    )
    assert Settings().quality_gates["kaggle"] == QualityGate(max_rmse=2500, min_r2=0.9)


def test_a_gate_with_an_impossible_threshold_is_refused():
    with pytest.raises(ValueError, match="max_rmse"):
        QualityGate(max_rmse=0, min_r2=0.9)
    with pytest.raises(ValueError, match="min_r2"):
        QualityGate(max_rmse=10, min_r2=1.5)
