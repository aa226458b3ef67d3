"""Prefect flows that compose the stages. Importing this package sets Prefect's offline defaults
before prefect itself is imported."""

from orchestration.prefect_env import apply_prefect_defaults

apply_prefect_defaults()
