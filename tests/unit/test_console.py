"""The terminal shows the flows' summaries and decisions, not one line per Prefect task run."""

import logging

from orchestration.console import TaskChatter, quiet_task_runs


def _record(name: str, level: int) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "Finished in state Completed()", (), None)


def test_task_runs_info_lines_are_dropped_and_everything_else_is_kept():
    chatter = TaskChatter()
    assert not chatter.filter(_record("prefect.task_runs", logging.INFO))
    assert chatter.filter(_record("prefect.task_runs", logging.WARNING))
    assert chatter.filter(_record("prefect.task_runs", logging.ERROR))
    assert chatter.filter(_record("prefect.flow_runs", logging.INFO))
    assert chatter.filter(_record("data_ingestion.ingest", logging.INFO))


def test_quiet_task_runs_filters_the_terminal_handlers_once():
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        quiet_task_runs()
        quiet_task_runs()
        assert sum(isinstance(f, TaskChatter) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)
