"""The command line: summary tables, exit codes, one clear sentence per failure."""

import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

runner = CliRunner()


def test_ingest_prints_the_summary(isolated_settings):
    result = runner.invoke(app, ["ingest", "--source", "shipped"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "accepted" in out and "10,000" in out
    assert "1990–1997" in out and "2014–2021" in out
    assert f"stored in {isolated_settings.bucket}" in out


def test_ingest_of_a_csv_with_corrupted_rows_reports_reasons(write_csv, shipped_text):
    frame = shipped_text.head(100).copy()
    frame.insert(0, "id", range(100))
    frame.loc[[1, 2], "cityPartRange"] = "11"
    result = runner.invoke(app, ["ingest", "--source", str(write_csv(frame))])
    assert result.exit_code == 0, result.output
    assert "cityPartRange: must be a whole number from 1 to 10" in result.output
    assert "Ignored columns not in the spec: id" in result.output
    assert "quarantine.csv" in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b"\x00\x01\x02binary", "is not a CSV file"),
        (b"squareMeters,price\n1,2\n", "lacks the required column(s) numberOfRooms"),
    ],
)
def test_bad_sources_exit_1_with_one_sentence(write_csv, tmp_path, content, message):
    path = tmp_path / "missing.csv" if content is None else write_csv(content)
    result = runner.invoke(app, ["ingest", "--source", str(path)])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_ingest_of_a_file_whose_rows_are_all_quarantined_exits_1_keeping_the_reasons(
    write_csv, shipped_text
):
    frame = shipped_text.head(3).copy()
    frame["hasPool"] = "2"
    result = runner.invoke(app, ["ingest", "--source", str(write_csv(frame))])
    out = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "0 accepted rows with 0 distinct made values cannot be cut into 4 periods" in out
    assert "the 3 quarantined rows and their reasons are in " in out
    assert "Traceback" not in result.output


def test_ingest_of_a_file_with_ragged_rows_quarantines_them(write_csv, shipped_text):
    lines = shipped_text.head(100).to_csv(index=False).splitlines()
    lines[1] += ",1"
    lines[50] = lines[50].rsplit(",", 1)[0]
    result = runner.invoke(app, ["ingest", "--source", str(write_csv("\n".join(lines)))])
    assert result.exit_code == 0, result.output
    assert "row: must have as many fields as the header │    2" in result.output


def test_a_header_naming_a_column_twice_exits_1_naming_it(write_csv, shipped_text):
    lines = shipped_text.head(10).to_csv(index=False).splitlines()
    lines[0] = lines[0].replace("hasPool", "squareMeters")
    result = runner.invoke(app, ["ingest", "--source", str(write_csv("\n".join(lines)))])
    assert result.exit_code == 1
    assert "names the column 'squareMeters' more than once in its header (columns 1 and 4)" in (
        " ".join(result.output.split())
    )


def test_unwritable_bucket_exits_1(tmp_path):
    (tmp_path / "file").write_text("x")
    result = runner.invoke(
        app, ["ingest", "--source", "shipped", "--bucket", str(tmp_path / "file" / "b")]
    )
    assert result.exit_code == 1 and "cannot create the bucket folder" in result.output


def test_unknown_dataset_exits_1():
    result = runner.invoke(app, ["ingest", "--dataset", "nope"])
    assert result.exit_code == 1 and "unknown dataset 'nope'" in result.output


def test_help_is_instant_and_imports_no_heavy_library():
    code = (
        "import sys, time; t=time.perf_counter();"
        "from orchestration.cli import app;"
        "heavy=('mlflow','prefect','evidently','boto3','pandas','sklearn');"
        "heavy=[m for m in heavy if m in sys.modules];"
        "print(heavy)"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
    assert time.perf_counter() - start < 10


@pytest.mark.slow
def test_the_commands_work_from_another_directory(tmp_path):
    """The installed command, started elsewhere, finds the shipped data from the project."""
    import os

    from tests.servers import VENV_BIN

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PARIS_HOUSING_") and k != "MLFLOW_TRACKING_URI"
    }
    for command in (["ingest", "--source", "shipped"], ["train", "--candidates", "linear"]):
        done = subprocess.run(
            [str(VENV_BIN / "paris-housing"), *command],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert (elsewhere / ".local" / "bucket" / "datasets" / "kaggle" / "LATEST").is_file()
    assert (elsewhere / ".local" / "mlflow.db").is_file()
    assert "promoted" in done.stdout
