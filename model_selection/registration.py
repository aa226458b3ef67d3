"""Register the chosen model and move the aliases as the promotion rule decides.

Every version carries its numbers and the decision as tags (``dataset``, ``dataset_version``,
``candidate``, ``holdout_rmse`` ...; ``decision`` = 'promoted: ...', 'challenger: ...' or
'rejected: ...') and the check of its ONNX twin (``onnx_check``, ``onnx_max_relative_error``,
and ``onnx_artifact`` when the twin may be served). Only aliases are used, never stages: the
champion's is the ``model_alias`` setting (``champion`` unless set), the one the service serves,
and ``challenger``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from model_selection.behaviour import never_lower_violations
from model_selection.data import TrainingData
from model_selection.evaluation import CandidateResult
from model_selection.onnx_export import OnnxCheck, export_onnx
from model_selection.promotion import ChampionScore, Decision, Outcome, decide
from model_selection.tracking import LoggedCandidate, log_onnx
from paris_housing.metrics import Metrics, regression_metrics
from paris_housing.registry import (
    CHALLENGER,
    METRIC_TAG_PREFIX,
    ONNX_ARTIFACT_TAG,
    ONNX_CHECK_TAG,
    ONNX_ERROR_TAG,
    alias_version,
    mlflow_client,
)
from paris_housing.settings import QualityGate, Settings, SettingsError, get_settings

if TYPE_CHECKING:  # pragma: no cover
    from mlflow import MlflowClient

# The tags the prediction service reads to serve the ONNX twin (or to say why it does not)


@dataclass(frozen=True)
class Registration:
    """The registered version, the decision and the numbers it was made on."""

    model_name: str
    version: str
    candidate: str
    holdout: Metrics
    gate: QualityGate
    violations: tuple[str, ...]
    champion_before: ChampionScore | None
    decision: Decision
    onnx: OnnxCheck


def quality_gate(settings: Settings, dataset: str) -> QualityGate:
    """The gate configured for ``dataset``, or a clear error saying how to configure one."""
    try:
        return settings.quality_gates[dataset]
    except KeyError:
        raise KeyError(
            f"no quality gate for dataset {dataset!r} (gates exist for "
            f"{', '.join(sorted(settings.quality_gates)) or 'no dataset'}): set "
            f'PARIS_HOUSING_QUALITY_GATES=\'{{"{dataset}": {{"max_rmse": ..., "min_r2": ...}}}}\''
        ) from None


def champion_alias(settings: Settings) -> str:
    """The alias promotion moves and the service serves: the ``model_alias`` setting."""
    alias = settings.model_alias
    if alias == CHALLENGER:
        raise SettingsError(
            f"PARIS_HOUSING_MODEL_ALIAS is {alias!r}, the alias of the models that lost to the "
            "champion: name the champion's alias anything else (default 'champion')"
        )
    return alias


def check_promotion_settings(settings: Settings, dataset: str) -> QualityGate:
    """The dataset's gate, once the alias to promote to is known to be usable: run before any
    fitting, so that a wrong setting costs a second, not a training."""
    champion_alias(settings)
    return quality_gate(settings, dataset)


def champion_score(
    client: MlflowClient, name: str, data: TrainingData, alias: str
) -> ChampionScore | None:
    """The model ``alias`` points to, scored on this data's holdout period (None without)."""
    import mlflow

    version = alias_version(client, name, alias)
    if version is None:
        return None
    model = mlflow.sklearn.load_model(f"models:/{name}/{version.version}")
    predicted = model.predict(data.features(data.holdout))
    return ChampionScore(
        str(version.version), regression_metrics(data.target(data.holdout), predicted)
    )


def version_tags(
    chosen: CandidateResult, data: TrainingData, logged: LoggedCandidate, decision: Decision
) -> dict[str, str]:
    """The tags of a new version: exact floats (repr), so they can be checked again later."""
    return {
        "dataset": data.dataset,
        "dataset_version": data.version,
        "candidate": chosen.name,
        **{k: repr(v) for k, v in chosen.holdout.as_dict(METRIC_TAG_PREFIX).items()},
        "cv_rmse": repr(chosen.cv_rmse),
        "run_id": logged.run_id,
        "decision": decision.tag,
    }


def onnx_tags(check: OnnxCheck, artifact_uri: str | None) -> dict[str, str]:
    """The tags of the ONNX check; the artifact only when the twin passed (and may be served)."""
    tags = {ONNX_CHECK_TAG: check.sentence}
    if check.max_relative_error is not None:
        tags[ONNX_ERROR_TAG] = repr(check.max_relative_error)
    if check.passed and artifact_uri is not None:
        tags[ONNX_ARTIFACT_TAG] = artifact_uri
    return tags


def apply_decision(
    client: MlflowClient, name: str, version: str, decision: Decision, champion: str
) -> None:
    """Promoted: the ``champion`` alias -> version, and the old ``challenger`` (which lost to an
    older champion) is cleared. Challenger: ``challenger`` -> version. Rejected: no alias."""
    if decision.outcome is Outcome.PROMOTED:
        client.set_registered_model_alias(name, champion, version)
        if alias_version(client, name, CHALLENGER) is not None:
            client.delete_registered_model_alias(name, CHALLENGER)
    elif decision.outcome is Outcome.CHALLENGER:
        client.set_registered_model_alias(name, CHALLENGER, version)


def ensure_registered_model(client: MlflowClient, name: str, title: str) -> None:
    """Create the registered model ``name`` unless it exists."""
    from mlflow.exceptions import MlflowException

    try:
        client.create_registered_model(name, description=f"House prices: {title}")
    except MlflowException as exc:
        if exc.error_code not in {"RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"}:
            raise


def register_and_promote(
    logged: LoggedCandidate,
    chosen: CandidateResult,
    data: TrainingData,
    settings: Settings | None = None,
) -> Registration:
    """Gate the chosen model, compare it with the champion on the same holdout, convert it to
    ONNX and check the twin, register it with its numbers, decision and ONNX check, and move
    the aliases.

    The ONNX twin is logged in the candidate's own run only when its check passed; converting
    costs up to ~3 s (a forest), so only the chosen model is converted, here.
    """
    settings = settings or get_settings()
    alias = champion_alias(settings)
    client = mlflow_client(settings)
    spec = data.spec
    name = spec.registered_model_name
    gate = quality_gate(settings, data.dataset)
    holdout = data.features(data.holdout)
    violations = never_lower_violations(chosen.model.predict, holdout, spec, gate.never_lower_with)
    champion = champion_score(client, name, data, alias)
    decision = decide(chosen.holdout, gate, violations, champion)
    onnx = export_onnx(chosen.model, spec, holdout)
    artifact = (
        log_onnx(logged.run_id, onnx.model, settings)
        if onnx.check.passed and onnx.model is not None
        else None
    )
    ensure_registered_model(client, name, spec.title)
    version = client.create_model_version(
        name,
        source=logged.model_uri,
        run_id=logged.run_id,
        model_id=logged.model_id,
        tags={**version_tags(chosen, data, logged, decision), **onnx_tags(onnx.check, artifact)},
        description=f"{chosen.name} ({chosen.description}): {decision.tag}",
    )
    apply_decision(client, name, version.version, decision, alias)
    return Registration(
        model_name=name,
        version=str(version.version),
        candidate=chosen.name,
        holdout=chosen.holdout,
        gate=gate,
        violations=tuple(violations),
        champion_before=champion,
        decision=decision,
        onnx=onnx.check,
    )
