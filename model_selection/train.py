"""The selection job: read the data, evaluate the candidates, log them, register and promote.

Each step is a function of :mod:`model_selection` that takes and returns picklable values, so an
orchestrator can run them as separate tasks; :func:`train` runs them in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from model_selection.candidates import SEED, get_candidates
from model_selection.data import TrainingData, load_training_data
from model_selection.evaluation import CandidateResult, evaluate_candidates, select_best
from model_selection.promotion import Decision
from model_selection.registration import Registration, quality_gate, register_and_promote
from model_selection.tracking import (
    LoggedCandidate,
    SelectionRun,
    check_tracking,
    finish_selection,
    log_candidate,
    prepare_tracking,
    start_selection,
)
from paris_housing.settings import Settings, get_settings


@dataclass
class TrainResult:
    """What a selection did: every candidate's scores, the chosen one, the registry decision."""

    dataset: str
    dataset_version: str
    period_spans: tuple[str, ...]
    train_span: str
    candidates: list[CandidateResult]
    chosen: str
    selection: SelectionRun
    logged: dict[str, LoggedCandidate]
    registration: Registration
    tracking_uri: str
    seconds: float

    @property
    def decision(self) -> Decision:
        """The promotion decision of the registered version."""
        return self.registration.decision


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


def train(
    dataset: str | None = None,
    candidates: Sequence[str] | None = None,
    settings: Settings | None = None,
    seed: int = SEED,
    step: Callable[[str], None] = lambda _: None,
) -> TrainResult:
    """Select, log, register and promote a model for ``dataset``'s latest version.

    ``candidates`` names the candidates to try (default: all); ``step`` hears each step's name.
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    names = [c.name for c in get_candidates(candidates)]
    step("checking the tracking server")
    uri = check_tracking(settings)
    step("reading the dataset")
    data = load_training_data(dataset, settings)
    quality_gate(settings, data.dataset)  # a dataset without a gate fails now, not after fitting
    with ThreadPoolExecutor(max_workers=1) as background:
        # opening the tracking store (seconds for a new database) overlaps with the fits
        store = background.submit(prepare_tracking, data.spec.registered_model_name, settings)
        results = evaluate_candidates(names, data, seed, step)
        step("opening the tracking store")
        store.result()
    chosen = select_best(results)
    selection, logged, registration = log_and_register(data, results, chosen, settings, step)
    return TrainResult(
        dataset=data.dataset,
        dataset_version=data.version,
        period_spans=data.period_spans,
        train_span=data.train_span,
        candidates=results,
        chosen=chosen.name,
        selection=selection,
        logged=logged,
        registration=registration,
        tracking_uri=uri,
        seconds=time.perf_counter() - started,
    )
