"""Predictors: what the service calls to turn validated rows into prices.

A predictor takes rows whose values are in the dataset spec's feature order and returns prices.
``predict_one`` serves one home per request and must cost microseconds, so it never builds a
DataFrame; ``predict`` serves many rows at once.

Two kinds: :class:`OnnxPredictor` runs the version's ONNX model (converted and checked against
the pipeline when the version was registered) in ONNX Runtime; :class:`PipelinePredictor` runs
the fitted scikit-learn pipeline itself, for versions that have no ONNX model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paris_housing.datasets import DatasetSpec

# ONNX Runtime's names of the input element types the exported models use
ONNX_INPUT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


class Predictor(ABC):
    """Rows (values in the spec's feature order) in, prices out."""

    kind: str = "predictor"

    @abstractmethod
    def predict_one(self, row: Sequence[float]) -> float:
        """The price of one row."""

    @abstractmethod
    def predict(self, rows: np.ndarray) -> np.ndarray:
        """The prices of rows given as a float64 array of shape (n, n_features)."""


def onnx_session(model: Path | bytes, threads: int = 1) -> Any:
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads and one inter-op
    thread: each service worker is one process, so one thread each keeps the workers from
    competing for the cores (and one row gains nothing from more)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


class OnnxPredictor(Predictor):
    """The version's ONNX model in an ONNX Runtime session: one 2-D input (the spec's features
    in order, float32 or float64 as the model declares), one output (the price).

    ``predict_one`` writes the row into an input array made once and runs the session with the
    names bound once. It is meant for one thread at a time (the service's event loop);
    ``predict`` allocates its own input and may be called from several threads.
    """

    kind = "onnx"

    def __init__(self, session: Any, n_features: int) -> None:
        inputs, outputs = session.get_inputs(), session.get_outputs()
        if len(inputs) != 1 or len(outputs) < 1:
            raise ValueError(
                f"the ONNX model has {len(inputs)} input(s) and {len(outputs)} output(s): "
                "one input (the features) and one output (the price) are expected"
            )
        (feature_input,) = inputs
        if feature_input.type not in ONNX_INPUT_TYPES:
            raise ValueError(
                f"the ONNX model's input {feature_input.name!r} has the type "
                f"{feature_input.type}: {' or '.join(ONNX_INPUT_TYPES)} is expected"
            )
        width = feature_input.shape[-1] if len(feature_input.shape) == 2 else None
        if width != n_features:
            raise ValueError(
                f"the ONNX model's input {feature_input.name!r} has the shape "
                f"{feature_input.shape}: [None, {n_features}] (the spec's features) is expected"
            )
        self.session = session
        self.dtype = ONNX_INPUT_TYPES[feature_input.type]
        self._input = feature_input.name
        self._outputs = [outputs[0].name]
        self._row = np.zeros((1, n_features), dtype=self.dtype)
        self._feed = {self._input: self._row}
        self._run = session.run

    def predict_one(self, row: Sequence[float]) -> float:
        self._row[0] = row
        return self._run(self._outputs, self._feed)[0].item()

    def predict(self, rows: np.ndarray) -> np.ndarray:
        feed = {self._input: np.ascontiguousarray(rows, dtype=self.dtype)}
        return np.asarray(self._run(self._outputs, feed)[0], dtype=np.float64).reshape(len(rows))


class PipelinePredictor(Predictor):
    """The fitted pipeline itself, fed a DataFrame: correct for any model, slow for one row."""

    kind = "pipeline"

    def __init__(self, model: Any, spec: DatasetSpec) -> None:
        self.model = model
        self.columns = spec.feature_names
        self.dtypes = {c.name: c.dtype for c in spec.features}

    def frame(self, rows: np.ndarray) -> Any:
        """The rows as the DataFrame the pipeline was fitted on."""
        import pandas as pd

        return pd.DataFrame(rows, columns=self.columns).astype(self.dtypes)

    def predict_one(self, row: Sequence[float]) -> float:
        return float(self.predict(np.asarray([row], dtype=np.float64))[0])

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(self.frame(rows)), dtype=np.float64).ravel()
