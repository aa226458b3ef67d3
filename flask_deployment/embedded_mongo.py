"""The embedded default for MongoDB: the MongoDB-wire server ``nx-27017`` on loopback.

``nx-27017`` (PyPI) speaks MongoDB's wire protocol over SQLite files, so pymongo and this app use
it exactly as they would use MongoDB or Atlas. It is started on demand when ``MONGODB_URI`` is
unset, with its data under the local folder, and stopped with the command that started it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
EXECUTABLE = "nx-27017"


class EmbeddedMongoError(RuntimeError):
    """The embedded server could not start; the message says why and what to do."""


def answers(uri: str, timeout_ms: int = 1000) -> bool:
    """Whether a MongoDB server answers ``ping`` at ``uri``."""
    client: MongoClient = MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms
    )
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


class EmbeddedMongo:
    """One ``nx-27017`` process serving ``data_dir`` on ``127.0.0.1:port``.

    With ``db_file`` it keeps every database in that one SQLite file (``--db``) instead of one
    file per database under ``data_dir`` (``--data-dir``); its log and pid files stay in
    ``data_dir``.
    """

    def __init__(self, data_dir: Path, port: int, db_file: Path | None = None) -> None:
        self.data_dir = data_dir
        self.port = port
        self.db_file = db_file
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        """The connection string of this server."""
        return f"mongodb://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        """The server's own log file."""
        return self.data_dir / "nx-27017.log"

    def command(self) -> list[str]:
        """The command line that runs the server in the foreground."""
        exe = shutil.which(EXECUTABLE, path=str(Path(sys.executable).parent)) or shutil.which(
            EXECUTABLE
        )
        if exe is None:
            raise EmbeddedMongoError(
                f"{EXECUTABLE} is not installed: run `make setup`, or set MONGODB_URI to a MongoDB"
            )
        store = (
            ["--data-dir", str(self.data_dir)]
            if self.db_file is None
            else ["--db", str(self.db_file)]
        )
        return [
            exe,
            *store,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--log-file",
            str(self.log_path),
            "--pid-file",
            str(self.data_dir / "nx-27017.pid"),
        ]

    def start(self, timeout: float = 30) -> bool:
        """Start the server unless a MongoDB already answers on the port.

        Returns True if this call started it (and :meth:`stop` will stop it).
        """
        if answers(self.uri):
            log.warning("a MongoDB server already answers at %s: using it", self.uri)
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal reaches the app, not the database
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedMongoError(
                    f"{EXECUTABLE} exited with status {self.process.returncode} "
                    f"(is port {self.port} taken? see {self.log_path}; "
                    "set PARIS_HOUSING_MONGODB_EMBEDDED_PORT or MONGODB_URI)"
                )
            if answers(self.uri, timeout_ms=300):
                return True
            time.sleep(0.2)
        self.stop()
        raise EmbeddedMongoError(
            f"{EXECUTABLE} did not answer on {self.uri} within {timeout:.0f}s (see {self.log_path})"
        )

    def stop(self, timeout: float = 10, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the server if this object started it (``sig`` first, SIGKILL after ``timeout``)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
