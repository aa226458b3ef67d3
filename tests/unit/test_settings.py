"""Settings: the prefix, the ecosystem's own variable names, .env support, read once."""

from paris_housing.settings import Settings, get_settings


def test_prefixed_and_ecosystem_names(monkeypatch):
    monkeypatch.setenv("PARIS_HOUSING_BUCKET", "s3://b/p")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    monkeypatch.setenv("KAGGLE_USERNAME", "me")
    settings = Settings()
    assert settings.bucket == "s3://b/p"
    assert settings.aws_endpoint_url_s3 == "http://127.0.0.1:1"
    assert settings.kaggle_username == "me"


def test_dotenv_is_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARIS_HOUSING_BUCKET")
    (tmp_path / ".env").write_text("PARIS_HOUSING_BUCKET=/from/dotenv\n")
    assert Settings().bucket == "/from/dotenv"


def test_settings_are_read_once():
    assert get_settings() is get_settings()


def test_secrets_are_not_printed(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t")
    assert "s3cr3t" not in repr(Settings())


def test_the_embedded_defaults_follow_the_local_dir(monkeypatch, tmp_path):
    for name in (
        "PARIS_HOUSING_BUCKET",
        "MLFLOW_TRACKING_URI",
        "PARIS_HOUSING_MLFLOW_ARTIFACTS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PARIS_HOUSING_LOCAL_DIR", str(tmp_path / "state"))
    settings = Settings()
    assert settings.bucket == str(tmp_path / "state" / "bucket")
    assert settings.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}"
    assert settings.mlflow_artifacts_dir == tmp_path / "state" / "mlartifacts"
    assert "bucket" not in settings.model_fields_set


def test_a_setting_given_on_its_own_wins_over_the_local_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("PARIS_HOUSING_MLFLOW_ARTIFACTS_DIR")
    monkeypatch.setenv("PARIS_HOUSING_LOCAL_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PARIS_HOUSING_BUCKET", "s3://bucket/prefix")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    settings = Settings()
    assert settings.bucket == "s3://bucket/prefix"
    assert settings.mlflow_tracking_uri == "http://127.0.0.1:5000"
    assert settings.mlflow_artifacts_dir == tmp_path / "state" / "mlartifacts"


def test_the_shipped_data_is_found_from_the_project_not_the_working_directory(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("PARIS_HOUSING_SHIPPED_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    folder = Settings().shipped_data_dir
    assert folder.is_absolute() and (folder / "ParisHousing.csv").is_file()
