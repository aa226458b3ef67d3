"""The app's secret key and the security headers of every response."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, Response, request

from paris_housing.settings import Settings

log = logging.getLogger(__name__)

MIN_SECRET_KEY_CHARS = 32
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


class ConfigurationError(RuntimeError):
    """The app cannot start safely with this configuration; the message says what to set."""


def secret_key(settings: Settings) -> str:
    """The key that signs sessions and CSRF tokens.

    Production (the default) refuses to start without a long enough key from the environment;
    development mode (``PARIS_HOUSING_WEB_DEBUG=true``) makes a throw-away one, which is fine for
    one process but invalidates open forms at each restart.
    """
    how = (
        "set FLASK_SECRET_KEY to at least 32 random characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_hex(32))'`"
    )
    if settings.web_secret_key is not None:
        key = settings.web_secret_key.get_secret_value()
        if len(key) < MIN_SECRET_KEY_CHARS and not settings.web_debug:
            raise ConfigurationError(
                f"the secret key is {len(key)} characters long, too short to sign sessions: {how}"
            )
        return key
    if settings.web_debug:
        log.warning("development mode: using a throw-away secret key (%s for production)", how)
        return secrets.token_hex(32)
    raise ConfigurationError(
        f"no secret key: {how} (or PARIS_HOUSING_WEB_DEBUG=true for local development only)"
    )


def install_headers(app: Flask, https: bool) -> None:
    """Add the security headers to every response; pages are never cached (they hold inputs)."""

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if https or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response


def local_secret_key(path: Path) -> str:
    """A random key kept in a private file under the local folder (for running on one machine).

    Made on first use; a key that outlives restarts keeps open forms valid across them.
    """
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(key + "\n")
    return key
