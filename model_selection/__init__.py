"""Model selection: candidates, time-respecting evaluation, MLflow tracking, gated promotion.

The stage's steps are plain functions (:mod:`model_selection.train` composes them), so that an
orchestrator can run each one as its own task.
"""
