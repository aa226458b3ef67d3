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
