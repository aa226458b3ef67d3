"""Start real servers on loopback for integration tests, and stop them afterwards.

The process runner is the benchmarks' (:mod:`benchmarks.servers`): one runner for both.
"""

from __future__ import annotations

import socket
from contextlib import closing

from benchmarks.servers import VENV_BIN, Server, free_port

__all__ = ["VENV_BIN", "Server", "free_port", "port_open"]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port``."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
