"""Tree ensembles flattened into one small array of nodes, walked for one row by compiled code.

Scoring one row through XGBoost's or scikit-learn's own predict costs 0.2-5 ms of per-call
overhead (argument checks, thread pools, DMatrix proxies) for a few microseconds of arithmetic.
Here every node of every tree is one 8-byte record in one array, siblings side by side: ``link``
packs the left child's index (the right child is the next node) with the tested feature, and
``threshold`` is the split value; a leaf has ``link = -1`` and its value in a separate array.
A loop compiled by numba walks each tree from its root; hundreds of trees fit in the CPU's L2
cache, so a row costs microseconds.

The arithmetic is the library's own: features rounded to float32; ``x < threshold`` goes left
for XGBoost, ``x <= threshold`` for scikit-learn (whose float64 thresholds are rounded down to
float32, which decides exactly as scikit-learn does for float32 inputs); XGBoost's leaves are
added to its base score in float32, tree after tree, scikit-learn's in float64. So the result is
the library's prediction, not an approximation of it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

XGBOOST_IDENTITY_OBJECTIVES = frozenset(
    {"reg:squarederror", "reg:absoluteerror", "reg:pseudohubererror"}
)
NODE = np.dtype([("link", np.int32), ("threshold", np.float32)])
FEATURE_BITS = 8  # up to 256 features; the child index gets the other 23 bits
MAX_NODES = 2 ** (31 - FEATURE_BITS)


@dataclass(frozen=True)
class Forest:
    """All trees' nodes in one record array; the prediction is ``base + scale * sum(leaves)``."""

    nodes: np.ndarray  # NODE records
    values: np.ndarray  # leaf value by node (float32 for XGBoost, float64 for scikit-learn)
    roots: np.ndarray  # int32 index of each tree's root
    base: float
    scale: float
    xgboost: bool  # XGBoost's rules (x < t, float32 sum); else scikit-learn's (x <= t, float64)

    def walker(self) -> Callable[[np.ndarray], float]:
        """``x -> prediction`` for one row of float32 features in the model's order."""
        nodes, values, roots, base, scale = (
            self.nodes,
            self.values,
            self.roots,
            self.base,
            self.scale,
        )
        if self.xgboost:
            xgboost_sum = _kernels().xgboost_sum
            return lambda x: float(xgboost_sum(nodes, values, roots, x))
        sklearn_sum = _kernels().sklearn_sum
        return lambda x: base + scale * sklearn_sum(nodes, values, roots, x)


class _Kernels:
    """The compiled tree walks (numba is imported, and they are compiled, on first use)."""

    def __init__(self) -> None:
        from numba import njit

        bits, mask = FEATURE_BITS, (1 << FEATURE_BITS) - 1

        @njit(nogil=True, cache=True)
        def xgboost_sum(nodes: Any, values: Any, roots: Any, x: Any) -> Any:  # pragma: no cover
            total = np.float32(0.0)
            for root in roots:
                i = root
                link = nodes[i].link
                while link >= 0:
                    i = (link >> bits) + (0 if x[link & mask] < nodes[i].threshold else 1)
                    link = nodes[i].link
                total = np.float32(total + values[i])
            return total

        @njit(nogil=True, cache=True)
        def sklearn_sum(nodes: Any, values: Any, roots: Any, x: Any) -> Any:  # pragma: no cover
            total = 0.0
            for root in roots:
                i = root
                link = nodes[i].link
                while link >= 0:
                    i = (link >> bits) + (0 if x[link & mask] <= nodes[i].threshold else 1)
                    link = nodes[i].link
                total += values[i]
            return total

        self.xgboost_sum: Callable[..., Any] = xgboost_sum
        self.sklearn_sum: Callable[..., Any] = sklearn_sum


_KERNELS: list[_Kernels] = []


def _kernels() -> _Kernels:
    if not _KERNELS:
        _KERNELS.append(_Kernels())
    return _KERNELS[0]


def _flatten(
    trees: list[dict[str, np.ndarray]], value_dtype: type
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Renumber each tree breadth-first (so siblings are neighbours) and pack its nodes.

    Trees come as arrays indexed by node: ``left``/``right`` (-1 at leaves), ``feature``,
    ``threshold`` (float32, already rounded as the library compares) and ``value``.
    None when the ensemble is too large or has too many features to pack.
    """
    links, thresholds, values, roots = [], [], [], []
    offset = 0
    for tree in trees:
        left, right = tree["left"], tree["right"]
        order = _breadth_first(left, right)
        new = np.empty(len(left), dtype=np.int64)
        new[order] = np.arange(len(order)) + offset
        leaf = left[order] < 0
        child = np.where(leaf, 0, new[np.where(leaf, 0, left[order])])
        feature = np.where(leaf, 0, tree["feature"][order]).astype(np.int64)
        if len(feature) and feature.max() >= 1 << FEATURE_BITS:
            return None
        links.append(np.where(leaf, -1, (child << FEATURE_BITS) | feature))
        thresholds.append(np.where(leaf, 0, tree["threshold"][order]))
        values.append(np.where(leaf, tree["value"][order], 0))
        roots.append(offset)
        offset += len(order)
    if offset >= MAX_NODES:
        return None
    nodes = np.empty(offset, dtype=NODE)
    nodes["link"] = np.concatenate(links)
    nodes["threshold"] = np.concatenate(thresholds)
    return (
        nodes,
        np.concatenate(values).astype(value_dtype),
        np.asarray(roots, dtype=np.int32),
    )


def _breadth_first(left: np.ndarray, right: np.ndarray) -> list[int]:
    """Node indices in breadth-first order from the root (node 0), left before right."""
    order, queue = [], deque([0])
    while queue:
        node = queue.popleft()
        order.append(node)
        if left[node] >= 0:
            queue.extend((int(left[node]), int(right[node])))
    return order


def from_xgboost(booster: Any, iteration_end: int = 0) -> Forest | None:
    """The trees of an XGBoost regressor, or None when its model is not one this module covers.

    Covered: a ``gbtree`` booster with one target, numeric splits and an objective whose output is
    the margin itself (squared, absolute or pseudo-Huber error). ``iteration_end`` keeps the first
    trees only (the sklearn wrapper's ``best_iteration + 1`` after early stopping; 0 keeps all).
    """
    learner = json.loads(booster.save_raw("json"))["learner"]
    params = learner["learner_model_param"]
    gbm = learner["gradient_booster"]
    if (
        gbm.get("name") != "gbtree"
        or learner["objective"]["name"] not in XGBOOST_IDENTITY_OBJECTIVES
        or int(params.get("num_target", "1")) != 1
        or int(params.get("num_class", "0")) > 1
        or int(gbm["model"]["gbtree_model_param"].get("num_parallel_tree", "1")) != 1
    ):
        return None
    raw_trees = gbm["model"]["trees"]
    if iteration_end:
        raw_trees = raw_trees[:iteration_end]
    raw_base = params["base_score"]  # "[5.0E6]" since XGBoost 3, "5.0E6" before
    base = np.float32(json.loads(raw_base)[0] if raw_base.startswith("[") else raw_base)
    trees = [_single_leaf(base)]  # XGBoost starts its float32 sum from the base score
    for tree in raw_trees:
        if any(tree.get("split_type", [])):  # categorical splits
            return None
        conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
        trees.append(
            {
                "left": np.asarray(tree["left_children"]),
                "right": np.asarray(tree["right_children"]),
                "feature": np.asarray(tree["split_indices"]),
                "threshold": conditions,
                "value": conditions,  # XGBoost keeps a leaf's value in its split condition
            }
        )
    packed = _flatten(trees, np.float32)
    if packed is None:
        return None
    nodes, values, roots = packed
    return Forest(nodes, values, roots, base=0.0, scale=1.0, xgboost=True)


def _single_leaf(value: np.float32) -> dict[str, np.ndarray]:
    """A tree that is one leaf."""
    return {
        "left": np.array([-1]),
        "right": np.array([-1]),
        "feature": np.array([0]),
        "threshold": np.array([value]),
        "value": np.array([value]),
    }


def _sklearn_tree(estimator: Any) -> dict[str, np.ndarray]:
    tree = estimator.tree_
    return {
        "left": tree.children_left,
        "right": tree.children_right,
        "feature": tree.feature,
        "threshold": _round_down_to_float32(tree.threshold),
        "value": tree.value[:, 0, 0],
    }


def _round_down_to_float32(thresholds: np.ndarray) -> np.ndarray:
    """The largest float32 at most each float64 threshold.

    For a float32 input ``v``: ``v <= t`` exactly when ``v <= round_down(t)``, so comparing in
    float32 decides as scikit-learn does (it rounds inputs to float32, keeps float64 thresholds).
    """
    nearest = thresholds.astype(np.float32)
    above = nearest.astype(np.float64) > thresholds
    return np.where(above, np.nextafter(nearest, np.float32(-np.inf)), nearest)


def from_sklearn(model: Any) -> Forest | None:
    """A scikit-learn regression tree, forest or gradient boosting; None for other models."""
    from sklearn.ensemble import (
        ExtraTreesRegressor,
        GradientBoostingRegressor,
        RandomForestRegressor,
    )
    from sklearn.tree import DecisionTreeRegressor, ExtraTreeRegressor

    if getattr(model, "n_outputs_", 1) != 1:
        return None
    if isinstance(model, (DecisionTreeRegressor, ExtraTreeRegressor)):
        estimators, base, scale = [model], 0.0, 1.0
    elif isinstance(model, (RandomForestRegressor, ExtraTreesRegressor)):
        estimators, base, scale = list(model.estimators_), 0.0, 1.0 / len(model.estimators_)
    elif isinstance(model, GradientBoostingRegressor):
        init = model.init_
        if init == "zero":
            base = 0.0
        elif hasattr(init, "constant_"):  # DummyRegressor (the default: mean or quantile)
            base = float(np.ravel(init.constant_)[0])
        else:
            return None
        estimators, scale = list(model.estimators_[:, 0]), float(model.learning_rate)
    else:
        return None
    packed = _flatten([_sklearn_tree(e) for e in estimators], np.float64)
    if packed is None:
        return None
    nodes, values, roots = packed
    return Forest(nodes, values, roots, base=base, scale=scale, xgboost=False)
