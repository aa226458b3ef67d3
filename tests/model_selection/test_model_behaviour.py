"""Behaviour of the champion, loaded the way the service loads it (``models:/NAME@champion``)."""

import mlflow
import numpy as np
import pytest

from paris_housing.metrics import regression_metrics
from paris_housing.registry import CHAMPION, alias_version, configure_mlflow, mlflow_client

pytestmark = pytest.mark.slow  # the session selection of every candidate (~20 s)


@pytest.fixture(scope="module")
def champion(trained):
    configure_mlflow(trained.settings)
    return mlflow.sklearn.load_model("models:/paris-housing-kaggle@champion")


@pytest.fixture(scope="module")
def holdout(trained):
    return trained.data.features(trained.data.holdout)


def test_champion_reproduces_the_logged_holdout_metrics(trained, champion, holdout):
    version = alias_version(mlflow_client(trained.settings), "paris-housing-kaggle", CHAMPION)
    metrics = regression_metrics(
        trained.data.target(trained.data.holdout), champion.predict(holdout)
    )
    assert metrics.rmse == pytest.approx(float(version.tags["holdout_rmse"]), rel=1e-12)
    assert metrics.mae == pytest.approx(float(version.tags["holdout_mae"]), rel=1e-12)
    assert metrics.r2 == pytest.approx(float(version.tags["holdout_r2"]), rel=1e-12)
    assert metrics.mape == pytest.approx(float(version.tags["holdout_mape"]), rel=1e-12)


def test_pyfunc_flavour_gives_the_same_prices(trained, champion, holdout):
    configure_mlflow(trained.settings)
    pyfunc = mlflow.pyfunc.load_model("models:/paris-housing-kaggle@champion")
    rows = holdout.head(50)
    np.testing.assert_allclose(np.ravel(pyfunc.predict(rows)), champion.predict(rows), rtol=1e-12)


@pytest.mark.parametrize("more", [1, 10, 1_000, 20_000])
def test_more_square_metres_never_lowers_the_estimate(champion, holdout, more):
    bigger = holdout.assign(squareMeters=np.minimum(holdout["squareMeters"] + more, 100_000))
    assert (champion.predict(bigger) >= champion.predict(holdout)).all()


def test_surface_sweep_is_non_decreasing(champion, holdout):
    home = holdout.iloc[[0]]
    sweep = home.loc[home.index.repeat(50)].assign(
        squareMeters=np.linspace(1, 100_000, 50).astype("int64")
    )
    assert (np.diff(champion.predict(sweep)) >= 0).all()


@pytest.mark.parametrize("feature", ["hasPool", "hasYard"])
def test_a_pool_or_a_yard_does_not_lower_the_estimate(champion, holdout, feature):
    without = champion.predict(holdout.assign(**{feature: 0}))
    with_it = champion.predict(holdout.assign(**{feature: 1}))
    assert (with_it >= without).all()
    assert np.median(with_it - without) > 1_000  # ~3,000 EUR in the data, not a rounding error
