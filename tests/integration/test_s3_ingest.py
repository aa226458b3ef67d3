"""Ingestion into a real S3 server (SeaweedFS on loopback): the same code, configuration only."""

from __future__ import annotations

import uuid

import boto3
import pandas as pd
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from paris_housing.catalog import read_periods
from paris_housing.settings import get_settings
from paris_housing.storage import open_bucket

pytestmark = pytest.mark.integration
runner = CliRunner()


@pytest.fixture
def bucket_name(s3_env) -> str:
    name = f"ph-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_env.endpoint,
        aws_access_key_id=s3_env.access_key,
        aws_secret_access_key=s3_env.secret_key,
        region_name="us-east-1",
    ).create_bucket(Bucket=name)
    return name


def test_ingest_into_s3_then_reingest_changes_nothing(spec, bucket_name):
    uri = f"s3://{bucket_name}/paris"
    first = runner.invoke(app, ["ingest", "--source", "shipped", "--bucket", uri])
    assert first.exit_code == 0, first.output
    assert "stored in" in first.output

    bucket = open_bucket(uri)
    keys = bucket.list()
    manifest, periods = read_periods(bucket, spec)
    assert len(periods) == 4 and sum(len(p) for p in periods) == 10_000
    assert pd.concat(periods)["made"].is_monotonic_increasing
    for period in manifest.periods:
        assert bucket.recorded_sha256(period.key) == period.sha256

    second = runner.invoke(app, ["ingest", "--source", "shipped", "--bucket", uri])
    assert second.exit_code == 0, second.output
    assert "already stored, nothing changed" in second.output
    assert open_bucket(uri).list() == keys


def test_quarantine_lands_in_s3(spec, bucket_name, write_csv, shipped_text):
    frame = shipped_text.head(200).copy()
    frame.loc[5, "floors"] = "-3"
    uri = f"s3://{bucket_name}"
    result = runner.invoke(app, ["ingest", "--source", str(write_csv(frame)), "--bucket", uri])
    assert result.exit_code == 0, result.output
    manifest, _ = read_periods(open_bucket(uri), spec)
    assert (manifest.rows, manifest.quarantine.rows) == (199, 1)
    text = open_bucket(uri).get(manifest.quarantine.object.key).decode()
    assert "floors: -3 must be a whole number from 1 to 100" in text


def test_wrong_credentials_are_a_clear_error(bucket_name, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    get_settings.cache_clear()
    result = runner.invoke(
        app, ["ingest", "--source", "shipped", "--bucket", f"s3://{bucket_name}"]
    )
    assert result.exit_code == 1
    assert "rejected the credentials" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("s3_env")
def test_a_missing_bucket_is_a_clear_error():
    result = runner.invoke(
        app, ["ingest", "--source", "shipped", "--bucket", "s3://no-such-bucket-x"]
    )
    assert result.exit_code == 1
    assert "the bucket 'no-such-bucket-x' does not exist" in result.output


def test_a_stopped_server_is_a_clear_error(stopped_s3):
    """A server that is not running (a port nothing listens on) names the endpoint."""
    result = runner.invoke(app, ["ingest", "--source", "shipped", "--bucket", "s3://paris-housing"])
    assert result.exit_code == 1
    assert f"cannot reach the S3 endpoint {stopped_s3}" in result.output
