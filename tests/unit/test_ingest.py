"""The ingestion job on a local bucket: periods, manifest, quarantine, idempotence."""

import json

import pandas as pd
import pytest

from data_ingestion.ingest import version_id
from data_ingestion.sources import SourceError, fetch_source
from data_ingestion.validation import InputError
from orchestration.pipeline import ingest_dataset
from paris_housing.catalog import read_manifest, read_periods
from paris_housing.storage import LocalBucket


def test_shipped_dataset_lands_as_four_ordered_periods(spec, isolated_settings):
    result = ingest_dataset(source="shipped")
    manifest, periods = read_periods(LocalBucket(isolated_settings.bucket), spec)
    assert result.changed and manifest == result.manifest
    assert [len(p) for p in periods] == [p.rows for p in manifest.periods]
    assert sum(len(p) for p in periods) == manifest.rows == 10_000
    whole = pd.concat(periods)
    assert whole["made"].is_monotonic_increasing
    assert (manifest.periods[0].time_min, manifest.periods[-1].time_max) == (1990, 2021)
    assert manifest.source.sha256 == spec.source.sha256
    assert manifest.quarantine.rows == 0 and manifest.quarantine.object is None
    assert manifest.version == version_id(spec, spec.source.sha256)


def test_reingesting_the_same_input_writes_nothing(isolated_settings):
    first = ingest_dataset(source="shipped")
    bucket = LocalBucket(isolated_settings.bucket)
    before = {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in bucket.root.rglob("*") if p.is_file()
    }
    second = ingest_dataset(source="shipped")
    after = {
        p: (p.stat().st_mtime_ns, p.read_bytes()) for p in bucket.root.rglob("*") if p.is_file()
    }
    assert not second.changed and second.manifest == first.manifest
    assert before == after


def test_a_new_input_becomes_the_latest_version_and_the_old_one_stays(
    spec, isolated_settings, write_csv, shipped_text
):
    first = ingest_dataset(source="shipped")
    second = ingest_dataset(source=str(write_csv(shipped_text.head(400))))
    bucket = LocalBucket(isolated_settings.bucket)
    assert read_manifest(bucket, spec).version == second.manifest.version != first.manifest.version
    assert read_manifest(bucket, spec, first.manifest.version).rows == 10_000
    assert second.manifest.rows == 400


def test_corrupted_rows_are_quarantined_with_reasons_and_the_rest_ingested(
    spec, isolated_settings, write_csv, shipped_text
):
    frame = shipped_text.head(1000).copy()
    frame.insert(0, "id", range(1000))
    frame.loc[10, "squareMeters"] = "-1"
    frame.loc[20, "hasPool"] = "yes"
    frame.loc[30, "price"] = ""
    result = ingest_dataset(source=str(write_csv(frame)))
    m = result.manifest
    assert (m.rows, m.quarantine.rows) == (997, 3)
    assert result.ignored_columns == ["id"]
    bucket = LocalBucket(isolated_settings.bucket)
    quarantine = pd.read_csv(
        pd.io.common.BytesIO(bucket.get(m.quarantine.object.key, m.quarantine.object.sha256))
    )
    assert quarantine["id"].tolist() == [10, 20, 30]
    assert quarantine["source_row"].tolist() == [12, 22, 32]
    assert quarantine["reasons"].tolist() == [
        "squareMeters: -1 must be a whole number from 1 to 100,000 m²",
        "hasPool: 'yes' is not a number (must be 0 (no) or 1 (yes))",
        "price: is missing",
    ]
    _, periods = read_periods(bucket, spec)
    assert sum(len(p) for p in periods) == 997


def test_manifest_is_written_after_the_data_and_lists_every_object(spec, isolated_settings):
    result = ingest_dataset(source="shipped")
    bucket = LocalBucket(isolated_settings.bucket)
    raw = json.loads(bucket.get(f"datasets/kaggle/{result.manifest.version}/manifest.json"))
    assert raw["schema_version"] == spec.schema_version
    for period in raw["periods"]:
        assert bucket.recorded_sha256(period["key"]) == period["sha256"]
    assert bucket.get("datasets/kaggle/LATEST").decode().strip() == result.manifest.version


def test_a_damaged_version_is_rewritten(isolated_settings):
    result = ingest_dataset(source="shipped")
    bucket = LocalBucket(isolated_settings.bucket)
    key = result.manifest.periods[1].key
    (bucket.root / key).unlink()
    again = ingest_dataset(source="shipped")
    assert again.changed and bucket.recorded_sha256(key) == result.manifest.periods[1].sha256


def test_shipped_file_with_wrong_checksum_is_refused(
    spec, isolated_settings, tmp_path, monkeypatch
):
    (tmp_path / spec.source.file_name).write_text("squareMeters\n1\n")
    monkeypatch.setattr(isolated_settings, "shipped_data_dir", tmp_path)
    with pytest.raises(SourceError, match="checksum mismatch for the shipped file"):
        fetch_source("shipped", spec, isolated_settings)


def test_auto_uses_the_shipped_copy_without_kaggle_credentials(spec, isolated_settings):
    assert fetch_source("auto", spec, isolated_settings).kind == "shipped"


def test_kaggle_without_credentials_says_what_to_do(spec, isolated_settings):
    with pytest.raises(SourceError, match="no Kaggle credentials: set KAGGLE_USERNAME"):
        fetch_source("kaggle", spec, isolated_settings)


def test_kaggle_download_failure_is_a_clear_error(spec, monkeypatch):
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "0" * 32)
    monkeypatch.setenv("KAGGLE_API_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    from paris_housing.settings import Settings

    with pytest.raises(SourceError, match="the Kaggle download of mssmartypants/.* failed"):
        fetch_source("kaggle", spec, Settings())


def test_missing_and_folder_paths(spec, isolated_settings, tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        fetch_source(str(tmp_path / "nope.csv"), spec, isolated_settings)
    with pytest.raises(SourceError, match="is a folder"):
        fetch_source(str(tmp_path), spec, isolated_settings)


def test_a_frame_that_breaks_the_contract_is_never_stored(spec, isolated_settings):
    """The stored periods are the spec's contract (typed_schema), checked again before writing."""
    import pandera.errors

    from data_ingestion.ingest import store, validate_source

    raw = fetch_source("shipped", spec, isolated_settings)
    validated = validate_source(raw, spec)
    validated.accepted.loc[validated.accepted.index[5], "cityPartRange"] = 11  # past the rule
    bucket = LocalBucket(isolated_settings.bucket)
    with pytest.raises(pandera.errors.SchemaError, match="cityPartRange"):
        store(raw, validated, spec, bucket)
    assert not list(bucket.root.rglob("*.parquet"))


@pytest.mark.parametrize("bad_rows", [0, 999])
def test_too_few_rows_for_the_periods_is_one_sentence_and_the_quarantine_is_kept(
    isolated_settings, write_csv, shipped_text, bad_rows
):
    frame = shipped_text.head(1 + bad_rows).copy()
    frame.loc[frame.index[1:], "hasPool"] = "2"
    if bad_rows:  # every row is quarantined
        frame.loc[frame.index[0], "price"] = ""
    with pytest.raises(InputError) as raised:
        ingest_dataset(source=str(write_csv(frame)))
    accepted = 0 if bad_rows else 1
    plural = "row" if accepted == 1 else "rows"
    values = "value" if accepted == 1 else "values"
    assert f"{accepted} accepted {plural} with {accepted} distinct made {values} cannot be cut" in (
        str(raised.value)
    )
    bucket = LocalBucket(isolated_settings.bucket)
    assert not bucket.root.joinpath("datasets", "kaggle", "LATEST").exists()
    kept = list(bucket.root.rglob("quarantine.csv"))
    if not bad_rows:
        assert not kept and "quarantined" not in str(raised.value)
        return
    assert f"the {bad_rows + 1:,} quarantined rows and their reasons are in " in str(raised.value)
    quarantine = pd.read_csv(kept[0])
    assert len(quarantine) == bad_rows + 1
    assert quarantine["reasons"].iloc[0] == "price: is missing"


def test_a_ragged_first_row_is_quarantined_and_the_rest_ingested(
    isolated_settings, write_csv, shipped_text
):
    lines = shipped_text.to_csv(index=False).splitlines()
    lines[1] += ",5"
    result = ingest_dataset(source=str(write_csv("\n".join(lines) + "\n")))
    assert (result.manifest.rows, result.manifest.quarantine.rows) == (9_999, 1)
    bucket = LocalBucket(isolated_settings.bucket)
    quarantine = pd.read_csv(bucket.root / result.manifest.quarantine.object.key)
    assert quarantine["source_row"].tolist() == [2]
    assert quarantine["reasons"].tolist() == ["row has 18 fields; the header has 17 (extra: 5)"]
