"""Champion/challenger over successive selections on one registry (linear models: fast)."""

import pytest

from model_selection.promotion import Outcome
from orchestration.pipeline import train_models
from paris_housing.registry import CHALLENGER, CHAMPION, alias_version, mlflow_client
from paris_housing.settings import QualityGate
from tests.model_selection.conftest import make_settings

pytestmark = pytest.mark.slow  # five selections in a row

NAME = "paris-housing-kaggle"


@pytest.fixture(scope="module")
def settings(ingested, tmp_path_factory):
    """A fresh registry on the already ingested bucket."""
    return make_settings(tmp_path_factory.mktemp("flow"), bucket=ingested.bucket)


def aliases(settings) -> dict[str, str | None]:
    client = mlflow_client(settings)
    found = {alias: alias_version(client, NAME, alias) for alias in (CHAMPION, CHALLENGER)}
    return {alias: v and str(v.version) for alias, v in found.items()}


def test_successive_selections_move_the_aliases_as_the_rule_says(settings):
    first = train_models(candidates=["linear"], settings=settings).registration
    assert (first.version, first.decision.outcome) == ("1", Outcome.PROMOTED)
    assert aliases(settings) == {CHAMPION: "1", CHALLENGER: None}

    # the same data again: the same metrics, an equal model is promoted and says so
    again = train_models(candidates=["linear"], settings=settings).registration
    assert again.holdout == first.holdout
    assert again.decision.outcome is Outcome.PROMOTED
    assert again.champion_before is not None and again.champion_before.version == "1"
    assert again.champion_before.holdout == first.holdout
    assert f"equals champion v1's {first.holdout.rmse:,.1f} on the same holdout" in (
        again.decision.reason
    )
    assert aliases(settings) == {CHAMPION: "2", CHALLENGER: None}

    # a worse model passes the gate but stays challenger
    ridge = train_models(candidates=["ridge"], settings=settings).registration
    assert ridge.decision.outcome is Outcome.CHALLENGER
    assert ridge.holdout.rmse > first.holdout.rmse
    assert "v2 stays champion" in ridge.decision.reason
    assert aliases(settings) == {CHAMPION: "2", CHALLENGER: "3"}

    # a model failing the gate is registered with the reason and never gets an alias
    strict = settings.model_copy(
        update={"quality_gates": {"kaggle": QualityGate(max_rmse=1_000, min_r2=0.9)}}
    )
    rejected = train_models(candidates=["linear"], settings=strict).registration
    assert rejected.decision.outcome is Outcome.REJECTED
    assert rejected.decision.reason == (
        f"failed the quality gate: holdout RMSE {first.holdout.rmse:,.1f} is above the "
        "maximum 1,000"
    )
    assert aliases(settings) == {CHAMPION: "2", CHALLENGER: "3"}
    tags = mlflow_client(settings).get_model_version(NAME, rejected.version).tags
    assert tags["decision"] == rejected.decision.tag

    # a new champion clears the stale challenger
    promoted = train_models(candidates=["linear"], settings=settings).registration
    assert promoted.decision.outcome is Outcome.PROMOTED
    assert aliases(settings) == {CHAMPION: promoted.version, CHALLENGER: None}


def test_a_dataset_without_gate_is_a_clear_error(settings):
    from model_selection.registration import quality_gate

    with pytest.raises(KeyError) as error:
        quality_gate(settings, "dvf")
    assert error.value.args[0] == (
        "no quality gate for dataset 'dvf' (gates exist for kaggle): set "
        'PARIS_HOUSING_QUALITY_GATES=\'{"dvf": {"max_rmse": ..., "min_r2": ...}}\''
    )
