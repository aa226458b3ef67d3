"""The web form: ``create_app()`` is what gunicorn serves (see the Procfile).

Routes stay thin: the form validates, :class:`~flask_deployment.predictions.PredictionClient`
asks the prediction service, :func:`~flask_deployment.submissions.submission_document` builds the
document and :class:`~flask_deployment.relay.Relay` stores it (outbox first, then MongoDB).
A successful post is answered with a redirect (303, Post/Redirect/Get) to the result page of its
reference, ``/estimates/<request id>``, which shows the estimate as stored: reloading it shows
the same estimate and stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from flask_deployment.forms import HomeForm, build_form_class
from flask_deployment.outbox import Outbox
from flask_deployment.predictions import (
    PredictionClient,
    ServiceRejected,
    ServiceUnavailable,
)
from flask_deployment.relay import Relay, Store, StoreUnreachable
from flask_deployment.security import install_headers, secret_key
from flask_deployment.store import StoreError, SubmissionStore
from flask_deployment.submissions import (
    is_reference,
    new_request_id,
    stored_estimate,
    submission_document,
)
from flask_deployment.values import format_input, format_price
from paris_housing.datasets import DatasetSpec, get_spec
from paris_housing.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
OUTBOX_FILE = "web-outbox.sqlite"


@dataclass
class Services:
    """What the routes use, built once per app."""

    spec: DatasetSpec
    form_class: type[HomeForm]
    predictor: PredictionClient
    relay: Relay


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["paris_housing_web"]


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    start_relay: bool = True,
) -> Flask:
    """The Flask app, configured from the settings.

    ``store`` replaces MongoDB (unit tests); ``start_relay=False`` leaves the background drainer
    off: each submission is still written to the outbox and tried once, and older ones wait for
    :meth:`Relay.drain`.
    """
    settings = settings or get_settings()
    _log_to_stderr()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.web_https,
        PREFERRED_URL_SCHEME="https" if settings.web_https else "http",
    )
    app.before_request(refuse_unreadable_form)  # first: the CSRF check would see an empty form
    CSRFProtect(app)
    install_headers(app, settings.web_https)

    spec = get_spec(settings.dataset)
    relay = Relay(
        Outbox(settings.local_path(OUTBOX_FILE)),
        store if store is not None else SubmissionStore.from_settings(settings),
        settings.web_outbox_retry_seconds,
        errors=(StoreError, OSError),
    )
    app.extensions["paris_housing_web"] = Services(
        spec=spec,
        form_class=build_form_class(spec),
        predictor=PredictionClient(
            settings.api_url, settings.web_api_timeout_seconds, spec.feature_names
        ),
        relay=relay,
    )
    if start_relay:
        relay.start()
    _routes(app)
    return app


def _routes(app: Flask) -> None:
    app.before_request(wake_relay)
    app.add_url_rule("/", "form", show_form, methods=["GET"])
    app.add_url_rule("/", "estimate", estimate, methods=["POST"])
    app.add_url_rule("/estimates/<reference>", "result", result, methods=["GET"])
    app.add_url_rule("/healthz", "health", health, methods=["GET"])
    app.add_url_rule("/favicon.ico", "favicon", favicon, methods=["GET"])
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(HTTPException, http_error)


def refuse_unreadable_form() -> ResponseReturnValue | None:
    """400 for a posted form that is not UTF-8 text (a raw 0xFF byte in a field): Werkzeug would
    silently read it as an empty form, refused as an expired one."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return None
    try:
        request.get_data(cache=True).decode("utf-8")  # cached: the form is parsed from it next
    except UnicodeDecodeError as exc:
        log.warning(
            "unreadable form refused: byte %s at position %d is not UTF-8",
            hex(exc.object[exc.start]),
            exc.start,
        )
        message = (
            "Your input could not be read (it is not text in UTF-8), so nothing was saved. "
            "Type the values again, with digits only, and resubmit the form."
        )
        return (
            render_template("error.html", code=400, title="Input not readable", message=message),
            400,
        )
    return None


def wake_relay() -> None:
    """Each request nudges the outbox drainer (it does nothing when the outbox is empty)."""
    services().relay.wake()


def show_form() -> ResponseReturnValue:
    """The empty form, with the spec's defaults."""
    return _form_page(services().form_class())


def estimate() -> ResponseReturnValue:
    """Validate, ask the service, store, and send the browser to the result (303); or show the
    form again with what went wrong."""
    svc = services()
    form = svc.form_class()
    if not form.validate():
        return _form_page(form), 422
    inputs = form.values()
    request_id = new_request_id()
    try:
        answer = svc.predictor.predict(inputs, request_id)
    except ServiceRejected as rejected:
        log.warning("submission %s rejected by the service: %s", request_id, rejected)
        for name, message in rejected.by_field.items():
            form[name].errors = [*form[name].errors, message]
        return _form_page(form, rejected=rejected.other), 422
    except ServiceUnavailable as down:
        document = submission_document(
            request_id=request_id, spec=svc.spec, inputs=inputs, estimate=None, error=down.reason
        )
        svc.relay.submit(document)
        log.warning("submission %s kept without an estimate: %s", request_id, down.reason)
        return _form_page(form, unavailable=down.public, request_id=request_id), 503
    document = submission_document(
        request_id=request_id, spec=svc.spec, inputs=inputs, estimate=answer
    )
    svc.relay.submit(document)
    log.info(
        "submission %s estimated at %.0f by version %s",
        request_id,
        answer.price,
        answer.model_version,
    )
    return redirect(url_for("result", reference=request_id), code=303)


def result(reference: str) -> ResponseReturnValue:
    """The estimate of the submission ``reference``, as it was stored (nothing is stored here)."""
    svc = services()
    try:
        document = svc.relay.find(reference) if is_reference(reference) else None
    except StoreUnreachable as down:
        log.warning("result page %s: %s", reference, down)
        message = (
            "Your estimate is saved, but it cannot be shown right now. "
            "Reload this page in a few minutes."
        )
        return render_template("error.html", code=503, title="Try again soon", message=message), 503
    answer = None if document is None else stored_estimate(document)
    if document is None or answer is None:
        message = (
            f"No estimate has the reference {reference}. Check the address, or estimate the "
            "home again."
        )
        return (
            render_template("error.html", code=404, title="No such estimate", message=message),
            404,
        )
    answers = [(c.label, format_input(c, document["inputs"][c.name])) for c in svc.spec.features]
    return render_template(
        "result.html",
        estimate=answer,
        price=format_price(answer.price, answer.currency),
        answers=answers,
    )


def _form_page(
    form: HomeForm,
    unavailable: str | None = None,
    request_id: str | None = None,
    rejected: list[str] | None = None,
) -> str:
    details = form.feature_fields(details=True)
    return render_template(
        "form.html",
        form=form,
        main_fields=form.feature_fields(details=False),
        detail_fields=details,
        details_open=any(f.errors for f in details),
        invalid=form.invalid_fields(),
        unavailable=unavailable,
        request_id=request_id,
        rejected=rejected or [],
    )


def health() -> ResponseReturnValue:
    """Liveness plus what waits in the outbox (for the PaaS and for people on call)."""
    relay = services().relay
    return jsonify(
        status="ok",
        mongodb="up" if relay.store_up else "down",
        outbox_pending=relay.outbox.count(),
    )


def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico; the icon is an SVG."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def csrf_failed(error: CSRFError) -> ResponseReturnValue:
    """A post without a valid CSRF token: say what to do, store nothing."""
    log.warning("CSRF check failed: %s", error.description)
    message = (
        "This form has expired or was not sent from this site, so nothing was saved. "
        "Open the form again and resubmit it."
    )
    return render_template("error.html", code=400, title="Form expired", message=message), 400


def http_error(error: HTTPException) -> ResponseReturnValue:
    """Any other HTTP error as a page, not a bare Werkzeug one."""
    code = error.code or 500
    return (
        render_template("error.html", code=code, title=error.name, message=error.description),
        code,
    )


def _log_to_stderr() -> None:
    """Under gunicorn nothing configures logging; keep the app's INFO lines then."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
