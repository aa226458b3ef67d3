"""The ONNX twin of a fitted candidate pipeline, checked against the pipeline it comes from.

The service predicts with ONNX Runtime (7-15 us a row on one thread, against ~210 us for the
pipeline's own ``predict``), so the chosen pipeline is converted at registration: skl2onnx for
scikit-learn, with the converters onnxmltools has for XGBoost and LightGBM. The twin is served only
when it predicts what the pipeline predicts: at most :data:`MAX_RELATIVE_ERROR` on rows spanning
the spec's ranges (and the holdout rows). The outcome is one sentence, the ``onnx_check`` tag:
``passed: …``, ``failed: …`` (it converted, but predicts differently) or ``unavailable: …`` (no
converter handles the estimator; the service then falls back to the pipeline and says why).

The ONNX model has one input, a 2-D tensor ``[None, n_features]`` named :data:`INPUT_NAME` with
the spec's features in the spec's order (float64 or float32, whichever passed first), and one
output, the price (``[None, 1]``).

skl2onnx, onnxmltools and onnxruntime are imported inside the functions: together they cost
seconds, paid at registration only, never by importing :mod:`model_selection`.
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from model_selection.candidates import SEED
from paris_housing.datasets import DatasetSpec
from paris_housing.datasets.spec import Kind

if TYPE_CHECKING:  # pragma: no cover
    from onnx import ModelProto
    from onnxruntime import InferenceSession

# A price off by at most 1e-5 of itself is 50 EUR on a 5 M home and 0.10 EUR on a 10 k one: far
# below the models' own error (holdout RMSE ~1.9 k) and below the whole euros a price is shown
# in. It is also the line between the graphs worth serving and the others, as measured on the
# shipped data: float64 linear 1e-13, float32 forest 6e-7, float64 LightGBM 6e-8, XGBoost with
# its base score folded 0, against float32 linear 7e-5, XGBoost as converted 1.0e-4, and float32
# LightGBM 7.6e-6 (close enough to the line to be worth the float64 graph).
MAX_RELATIVE_ERROR = 1e-5
CHECK_ROWS = 512  # rows spanning the spec's ranges: the three corners, then seeded random rows
INPUT_NAME = "features"
# Tried in this order, the first that passes is kept: float64 keeps a linear model exact (float32
# measured 7e-5) and LightGBM within 6e-8 (see Float64Trees)
ELEMENT_TYPES = ("float64", "float32")
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
TREE_ENSEMBLE = "TreeEnsembleRegressor"
ML_DOMAIN = "ai.onnx.ml"
REASON_CHARACTERS = 200  # a converter's error is cut there (some print a whole tree)


class OnnxOutcome(str, Enum):
    """How the ONNX twin of a pipeline compares with the pipeline."""

    PASSED = "passed"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class OnnxCheck:
    """The check of an ONNX twin: its outcome, the sentence saying it, the measured error."""

    outcome: OnnxOutcome
    sentence: str  # 'passed: …', 'failed: …' or 'unavailable: …' (the onnx_check tag)
    max_relative_error: float | None = None  # None when unavailable
    element_type: str | None = None  # the input tensor's numpy type name, None when unavailable

    @property
    def passed(self) -> bool:
        """Whether the twin may be served."""
        return self.outcome is OnnxOutcome.PASSED


@dataclass(frozen=True)
class OnnxExport:
    """The serialized ONNX twin (None when no converter could make one) and its check."""

    check: OnnxCheck
    model: bytes | None = None


def element_types(estimator: object) -> tuple[str, ...]:
    """The input types worth trying for ``estimator``, in order.

    Float32 alone for the estimators that compute in float32 (scikit-learn's trees and forests
    compare float32 features, XGBoost adds its trees in float32): a float32 input loses nothing
    there, and their float64 graphs never load, since ONNX Runtime's ``TreeEnsembleRegressor``
    outputs float32 where the converters declare float64 ("Type (tensor(double)) of output arg
    … does not match"); the forest's costs 5 s to convert first, for nothing. Others: float64,
    then float32.
    """
    # pylint: disable=import-outside-toplevel
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor
    from sklearn.tree import BaseDecisionTree

    in_float32: tuple[type, ...] = (BaseDecisionTree, RandomForestRegressor, ExtraTreesRegressor)
    if "xgboost" in sys.modules:  # an XGBoost model exists only once xgboost is imported
        in_float32 += (sys.modules["xgboost"].XGBModel,)
    return ("float32",) if isinstance(estimator, in_float32) else ELEMENT_TYPES


def check_rows(spec: DatasetSpec, count: int = CHECK_ROWS, seed: int = SEED) -> pd.DataFrame:
    """``count`` rows spanning the spec's ranges, typed as validated rows are.

    Every minimum, every maximum, the defaults (the middle of the range where a column has
    none), then seeded uniform random rows; whole-number and binary columns are rounded.
    """
    columns = spec.features
    low = np.array([c.minimum for c in columns], dtype=float)
    high = np.array([c.maximum for c in columns], dtype=float)
    middle = np.array(
        [(c.minimum + c.maximum) / 2 if c.default is None else c.default for c in columns]
    )
    random = np.random.default_rng(seed).uniform(low, high, size=(max(count - 3, 0), len(low)))
    rows = np.vstack([low, high, middle, random])[:count]
    whole = [c.kind is not Kind.NUMBER for c in columns]
    rows[:, whole] = np.round(rows[:, whole])
    return pd.DataFrame(rows, columns=spec.feature_names).astype({c.name: c.dtype for c in columns})


def relative_error(predicted: np.ndarray, expected: np.ndarray) -> float:
    """The largest ``|predicted - expected| / max(|expected|, 1)``.

    The floor of 1 compares prices under one euro absolutely: relative to a price near zero,
    any difference would look huge.
    """
    predicted = np.asarray(predicted, dtype=float).ravel()
    expected = np.asarray(expected, dtype=float).ravel()
    return float(np.max(np.abs(predicted - expected) / np.maximum(np.abs(expected), 1.0)))


def positional_pipeline(pipeline: Pipeline, feature_names: Sequence[str]) -> Pipeline:
    """The same fitted pipeline, with its column transformers selecting by position.

    skl2onnx cannot map column names onto one tensor input ("Unable to find column name
    'squareMeters' among names ['input']"): the transformers' fitted column lists are rewritten
    to positions in ``feature_names``' order, on copies. The pipeline itself, which is what is
    logged and registered, is never changed, and the estimator is shared, not copied.
    """
    positions = {name: index for index, name in enumerate(feature_names)}
    steps = []
    for name, step in pipeline.steps:
        if isinstance(step, ColumnTransformer):
            step = copy.deepcopy(step)
            step.transformers_ = [
                (label, transformer, column_positions(columns, positions))
                for label, transformer, columns in step.transformers_
            ]
        steps.append((name, step))
    return Pipeline(steps)


def column_positions(columns: object, positions: dict[str, int]) -> object:
    """A fitted transformer's column list with names replaced by their positions."""
    if isinstance(columns, str) or not isinstance(columns, Sequence):
        return columns
    missing = [c for c in columns if isinstance(c, str) and c not in positions]
    if missing:
        raise KeyError(
            f"the pipeline selects column(s) {', '.join(map(repr, missing))}, which are not "
            f"among the spec's features ({', '.join(positions)})"
        )
    return [positions[c] if isinstance(c, str) else c for c in columns]


class Float64Trees:
    """A converter's container that keeps a tree ensemble's sums in float64 for a float64 input.

    LightGBM adds its trees in float64. ONNX Runtime's ``TreeEnsembleRegressor`` adds them in
    float64 when its input is float64 and its thresholds and leaf weights come as float64
    tensors (``nodes_values_as_tensor``, ``target_weights_as_tensor``), and outputs float32 in
    every case. onnxmltools writes float32 lists and, for a float64 input, declares a float64
    output, so its graph does not load ("Type (tensor(double)) of output arg (variable) of node
    (Identity1) does not match"). As the converter adds its nodes, this container writes the
    ensemble's numbers as float64 tensors and turns the Identity after it into a Cast to
    float64. Measured with the selection's LightGBM on the check rows and the holdout: 5.9e-8
    (the rounding of the float32 output), against 7.6e-6 for the float32 graph, at the same 14 us
    a row.
    """

    AS_TENSORS = ("nodes_values", "target_weights", "base_values")

    def __init__(self, container: Any) -> None:
        self.container = container
        self.ensembles: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.container, name)

    def add_node(self, op_type: str, inputs: Any, outputs: Any, *args: Any, **attrs: Any) -> Any:
        """The container's ``add_node``, with the ensemble's numbers in float64."""
        # pylint: disable=import-outside-toplevel
        from onnx import TensorProto, numpy_helper

        if op_type == TREE_ENSEMBLE:
            for name in self.AS_TENSORS:
                if name in attrs:
                    values = np.asarray(attrs.pop(name), dtype=np.float64)
                    attrs[f"{name}_as_tensor"] = numpy_helper.from_array(values, name)
            self.ensembles.add(str(outputs))
        elif op_type == "Identity" and str(inputs) in self.ensembles:
            return self.container.add_node(
                "Cast", inputs, outputs, name=attrs.get("name"), to=TensorProto.DOUBLE
            )
        return self.container.add_node(op_type, inputs, outputs, *args, **attrs)


def convert_lightgbm_regressor(scope: Any, operator: Any, container: Any) -> None:
    """onnxmltools' LightGBM converter, adding the trees in float64 for a float64 input."""
    # pylint: disable=import-outside-toplevel
    from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
    from skl2onnx.common.data_types import DoubleTensorType

    if isinstance(operator.inputs[0].type, DoubleTensorType):
        container = Float64Trees(container)
    convert_lightgbm(scope, operator, container)


def register_converters() -> None:
    """Teach skl2onnx the XGBoost and LightGBM regressors (onnxmltools' converters).

    Only for the libraries already imported: a model of theirs cannot exist otherwise, and
    importing one costs a second or two (a linear model's export needs neither).
    """
    if "xgboost" in sys.modules:
        register_xgboost()
    if "lightgbm" in sys.modules:
        register_lightgbm()


@functools.cache
def register_xgboost() -> None:
    """skl2onnx converts ``XGBRegressor`` with onnxmltools' XGBoost converter."""
    # pylint: disable=import-outside-toplevel
    from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes
    from xgboost import XGBRegressor

    update_registered_converter(
        XGBRegressor,
        "XGBoostXGBRegressor",
        calculate_linear_regressor_output_shapes,
        convert_xgboost,
    )


@functools.cache
def register_lightgbm() -> None:
    """skl2onnx converts ``LGBMRegressor`` with :func:`convert_lightgbm_regressor`."""
    # pylint: disable=import-outside-toplevel
    from lightgbm import LGBMRegressor
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes

    update_registered_converter(
        LGBMRegressor,
        "LightGbmLGBMRegressor",
        calculate_linear_regressor_output_shapes,
        convert_lightgbm_regressor,
        options={"split": None},
    )


def convert_pipeline(
    pipeline: Pipeline, feature_names: Sequence[str], element_type: str
) -> ModelProto:
    """The converters' own ONNX graph of ``pipeline`` with a ``element_type`` input tensor."""
    # pylint: disable=import-outside-toplevel
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    tensor_types = {"float64": DoubleTensorType, "float32": FloatTensorType}
    if element_type not in tensor_types:
        raise ValueError(
            f"element_type {element_type!r} is not one of {', '.join(map(repr, tensor_types))}"
        )
    register_converters()
    tensor = tensor_types[element_type]([None, len(feature_names)])
    return convert_sklearn(
        positional_pipeline(pipeline, feature_names),
        initial_types=[(INPUT_NAME, tensor)],
        target_opset=TARGET_OPSET,
    )


def fold_base_values_into_first_tree(model: ModelProto) -> ModelProto:
    """A copy of ``model`` whose summed tree ensembles add their base value first, not last.

    XGBoost predicts in float32 by adding each tree's leaf to its base score (4,993,447.5 on the
    shipped data), tree after tree. ONNX Runtime's ``TreeEnsembleRegressor`` sums the trees first
    and adds ``base_values`` last, so the float32 roundings differ (the spacing of float32 is 0.5
    at 5 M): measured on the shipped 10,000 rows, up to 15 EUR apart, a relative 1.0e-4, ten times
    the limit. Here ``base_values`` becomes 0 and a first single-leaf tree (tree id 0, the others
    shifted by one) holds the base score; ONNX Runtime then adds in XGBoost's order, and the
    difference measured 0 on all 10,000 rows, in one batch and one row at a time (one intra-op
    thread, as the service runs). The sum is the same number in exact arithmetic, so ensembles
    that add in float64 (LightGBM, scikit-learn's) lose nothing; averaged ensembles (forests)
    and ensembles without a base value are left as they are.
    """
    from onnx import helper  # pylint: disable=import-outside-toplevel

    folded = type(model)()
    folded.CopyFrom(model)
    for node in folded.graph.node:
        if node.op_type != TREE_ENSEMBLE or node.domain != ML_DOMAIN:
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        base = [float(v) for v in attributes.get("base_values", [])]
        summed = attributes.get("aggregate_function", b"SUM") == b"SUM"
        if not any(base) or not summed or not set(attributes) <= FOLDABLE_ATTRIBUTES:
            continue
        del node.attribute[:]
        node.attribute.extend(
            helper.make_attribute(name, value)
            for name, value in sorted(with_base_tree(attributes, base).items())
        )
    return folded


# The leaf that starts the tree holding the base score, one value per node attribute
BASE_LEAF = {
    "nodes_treeids": 0,
    "nodes_nodeids": 0,
    "nodes_featureids": 0,
    "nodes_modes": b"LEAF",
    "nodes_values": 0.0,
    "nodes_truenodeids": 0,
    "nodes_falsenodeids": 0,
    "nodes_missing_value_tracks_true": 0,
    "nodes_hitrates": 1.0,
}
FOLDABLE_ATTRIBUTES = {
    *BASE_LEAF,
    "target_treeids",
    "target_nodeids",
    "target_ids",
    "target_weights",
    "base_values",
    "n_targets",
    "post_transform",
    "aggregate_function",
}


def with_base_tree(attributes: dict[str, Any], base: list[float]) -> dict[str, Any]:
    """A tree ensemble's attributes with a first tree (one leaf) holding ``base``, and no base.

    The other trees' ids are shifted by one; the leaf has one weight per target.
    """
    folded = dict(attributes)
    for name, leaf_value in BASE_LEAF.items():
        if name in attributes:
            values = list(attributes[name])
            if name == "nodes_treeids":
                values = [tree + 1 for tree in values]
            folded[name] = [leaf_value, *values]
    targets = list(range(len(base)))
    folded["target_treeids"] = [0] * len(base) + [t + 1 for t in attributes["target_treeids"]]
    folded["target_nodeids"] = [0] * len(base) + list(attributes["target_nodeids"])
    folded["target_ids"] = targets + list(attributes["target_ids"])
    folded["target_weights"] = base + list(attributes["target_weights"])
    folded["base_values"] = [0.0] * len(base)
    return folded


def to_onnx(pipeline: Pipeline, feature_names: Sequence[str], element_type: str) -> ModelProto:
    """The ONNX graph of ``pipeline`` as it is served: converted, base values folded in."""
    return fold_base_values_into_first_tree(convert_pipeline(pipeline, feature_names, element_type))


def onnx_session(model: bytes) -> InferenceSession:
    """An ONNX Runtime session on ``model`` with one intra-op thread, as the service runs it."""
    import onnxruntime  # pylint: disable=import-outside-toplevel

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def onnx_predict(session: InferenceSession, rows: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The session's prices for ``rows`` (the spec's features in the spec's order), flat."""
    (tensor,) = session.get_inputs()
    element_type = tensor.type.removeprefix("tensor(").removesuffix(")")
    dtype = {"double": np.float64, "float": np.float32}[element_type]
    return session.run(None, {tensor.name: np.asarray(rows, dtype=dtype)})[0].ravel()


def export_onnx(
    pipeline: Pipeline,
    spec: DatasetSpec,
    holdout: pd.DataFrame | None = None,
    types: Sequence[str] | None = None,
) -> OnnxExport:
    """Convert ``pipeline`` to ONNX and check it; keep the first of ``types`` that passes
    (default: :func:`element_types` of its estimator).

    The check compares the ONNX session's prices with the pipeline's on :func:`check_rows` (and
    the ``holdout`` rows when given). Without a passing type, the smallest error is reported
    (``failed``); when no type converts and loads, the converters' reasons (``unavailable``).
    """
    features = spec.feature_names
    rows = check_rows(spec)
    described = f"{len(rows)} rows spanning the spec's ranges"
    if holdout is not None and len(holdout):
        rows = pd.concat([rows, holdout[features]], ignore_index=True)
        described += f" and {len(holdout):,} holdout rows"
    expected = pipeline.predict(rows)
    estimator = pipeline.steps[-1][1]
    measured: dict[str, tuple[bytes, float]] = {}
    failures: dict[str, str] = {}
    for element_type in element_types(estimator) if types is None else types:
        try:
            model = to_onnx(pipeline, features, element_type).SerializeToString()
            predicted = onnx_predict(onnx_session(model), rows[features])
        # the converters and ONNX Runtime raise whatever they raise (ValueError, TypeError,
        # RuntimeError, onnxruntime's own Fail): each one only means "not this type"
        except Exception as exc:  # pylint: disable=broad-exception-caught
            failures[element_type] = first_line(exc)
            continue
        measured[element_type] = (model, relative_error(predicted, expected))
        if measured[element_type][1] <= MAX_RELATIVE_ERROR:
            break
    return judge(measured, failures, described, type(estimator).__name__)


def judge(
    measured: dict[str, tuple[bytes, float]],
    failures: dict[str, str],
    rows: str,
    estimator: str,
) -> OnnxExport:
    """The export to keep and its sentence, from each tried type's (model, error) or reason.

    The first type within the limit passes; else the smallest error fails; with no type that
    converted and loaded, the estimator is unavailable, with each distinct reason.
    """
    passing = [kind for kind, (_, error) in measured.items() if error <= MAX_RELATIVE_ERROR]
    if passing or measured:
        kind = passing[0] if passing else min(measured, key=lambda k: measured[k][1])
        model, error = measured[kind]
        where = f"max relative error {error:.1e} on {rows} with {kind} input"
        if passing:
            outcome, sentence = OnnxOutcome.PASSED, f"{where} (limit {MAX_RELATIVE_ERROR:.0e})"
        else:
            outcome, sentence = (
                OnnxOutcome.FAILED,
                f"{where} is above the limit {MAX_RELATIVE_ERROR:.0e}",
            )
        return OnnxExport(OnnxCheck(outcome, f"{outcome.value}: {sentence}", error, kind), model)
    reasons = list(dict.fromkeys(failures.values()))
    reason = (
        reasons[0]
        if len(reasons) == 1
        else "; ".join(f"{kind}: {why}" for kind, why in failures.items())
    )
    return OnnxExport(OnnxCheck(OnnxOutcome.UNAVAILABLE, f"unavailable: {estimator}: {reason}"))


def first_line(error: BaseException) -> str:
    """What went wrong, in one line: the first line of the innermost cause, cut if long.

    Converters wrap the cause: skl2onnx's "Unable to create node …" prints the whole tree, and
    the useful part is the error it caught ("Expected an int, got a boolean"). The chain is
    followed as a traceback shows it (``__cause__``, else an unsuppressed ``__context__``).
    """
    while True:
        cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        if cause is None:
            break
        error = cause
    lines = str(error).strip().splitlines() or [""]
    line = lines[0].strip()
    if len(line) > REASON_CHARACTERS:
        line = line[: REASON_CHARACTERS - 1] + "…"
    return f"{type(error).__name__}: {line}" if line else type(error).__name__
