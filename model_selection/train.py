"""The last step of a selection: log every candidate's run, then register and promote the best.

The selection's steps are functions of :mod:`model_selection` that take and return picklable
values (read the data, cross-validate a fold, fit and hold out, choose, then this one);
``orchestration.pipeline`` composes them, for the ``train`` command and the training flow alike.
"""

from __future__ import annotations

from collections.abc import Callable

from model_selection.data import TrainingData
from model_selection.evaluation import CandidateResult
from model_selection.registration import Registration, register_and_promote
from model_selection.tracking import (
    LoggedCandidate,
    SelectionRun,
    finish_selection,
    log_candidate,
    start_selection,
)
from paris_housing.settings import Settings


def log_and_register(
    data: TrainingData,
    results: list[CandidateResult],
    chosen: CandidateResult,
    settings: Settings,
    step: Callable[[str], None] = lambda _: None,
) -> tuple[SelectionRun, dict[str, LoggedCandidate], Registration]:
    """Log the parent and child runs, then register and promote the chosen candidate.

    The parent run is marked FAILED if a step fails, and FINISHED with the decision otherwise.
    """
    step("logging the runs")
    selection = start_selection(data, [r.name for r in results], settings)
    try:
        logged = {}
        for result in results:
            step(f"logging {result.name}")
            logged[result.name] = log_candidate(selection, result, data, result is chosen)
        step("registering and promoting")
        registration = register_and_promote(logged[chosen.name], chosen, data, settings)
    except BaseException:
        finish_selection(selection, {}, settings, failed=True)
        raise
    finish_selection(
        selection,
        {
            "chosen": chosen.name,
            "registered_version": registration.version,
            "decision": registration.decision.tag,
        },
        settings,
    )
    return selection, logged, registration
