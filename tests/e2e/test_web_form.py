"""A person uses the form in a real browser: fills it, reads the estimate, and the submission is in
MongoDB; reloading the result shows the same estimate and stores nothing; an invalid value gets
its message; the page works on a phone without JavaScript."""

from __future__ import annotations

import re

import pytest
from pymongo import MongoClient

from flask_deployment.values import format_price
from paris_housing.datasets import KAGGLE, Kind

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.slow]

TYPED = {"squareMeters": "85", "numberOfRooms": "3", "floors": "2", "made": "1998"}
FOLDED = {"garage": "300"}
TICKED = ("hasPool",)


def _submissions(mongo_uri: str) -> dict[str, dict]:
    client: MongoClient = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        return {d["_id"]: d for d in client["paris_housing"]["submissions"].find()}
    finally:
        client.close()


def _expected_inputs() -> dict[str, int]:
    """What the form holds after the person's changes: their values, the spec's defaults."""
    inputs = {c.name: int(c.default or 0) for c in KAGGLE.features}
    inputs.update({k: int(v) for k, v in {**TYPED, **FOLDED}.items()})
    inputs.update({name: 1 for name in TICKED})
    assert all(KAGGLE.column(n).kind is Kind.BINARY for n in TICKED)
    return inputs


def _fill_home(page) -> None:
    for name, value in TYPED.items():
        page.fill(f"#{name}", value)
    for name in TICKED:
        page.check(f"#{name}")
    page.click("summary")  # open "More details"
    for name, value in FOLDED.items():
        page.fill(f"#{name}", value)


def test_a_person_gets_an_estimate_and_the_submission_is_stored(stack, browser, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.url)
    assert page.title() == "Estimate a price · Paris home price estimate"
    assert page.is_hidden("#garage")  # folded under "More details" until opened
    _fill_home(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#price")

    inputs = _expected_inputs()
    expected = stack.service.expected_price(inputs)
    assert page.inner_text("#price") == format_price(expected)
    assert page.inner_text("#model-version") == stack.service.model_version
    assert page.title() == f"Estimate {format_price(expected)} · Paris home price estimate"
    request_id = page.inner_text("#request-id")
    page.screenshot(path=str(artifacts / "web-result-desktop.png"), full_page=True)

    assert re.fullmatch(rf"{re.escape(stack.url)}/estimates/{request_id}", page.url)
    document = _submissions(stack.mongo_uri)[request_id]
    assert document["status"] == "estimated" and document["inputs"] == inputs
    assert document["estimate"]["price"] == pytest.approx(expected, abs=0.01)
    assert document["model"]["version"] == stack.service.model_version

    before = len(_submissions(stack.mongo_uri))
    page.reload()  # Post/Redirect/Get: the page is fetched again, nothing is posted
    assert page.inner_text("#price") == format_price(expected)
    assert page.inner_text("#request-id") == request_id
    assert len(_submissions(stack.mongo_uri)) == before

    page.click("text=Estimate another home")
    page.fill("#squareMeters", "0")
    page.click("button[type=submit]")
    message = page.inner_text("#squareMeters-error")
    assert message == "0 must be a whole number from 1 to 100,000 m²."
    assert page.is_visible("#error-summary")
    page.screenshot(path=str(artifacts / "web-invalid-desktop.png"), full_page=True)
    assert len(_submissions(stack.mongo_uri)) == before

    missing = page.goto(f"{stack.url}/estimates/{'0' * 32}")
    assert missing.status == 404
    assert page.inner_text("h1") == "No such estimate"
    assert f"No estimate has the reference {'0' * 32}." in page.inner_text("main")
    context.close()


def test_the_form_works_on_a_phone_without_javascript(stack, browser, artifacts):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto(stack.url)
    page.screenshot(path=str(artifacts / "web-form-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    _fill_home(page)
    page.click("button[type=submit]")
    page.wait_for_selector("#price")
    inputs = _expected_inputs()
    assert page.inner_text("#price") == format_price(stack.service.expected_price(inputs))
    page.screenshot(path=str(artifacts / "web-result-phone.png"), full_page=True)
    request_id = page.inner_text("#request-id")
    assert _submissions(stack.mongo_uri)[request_id]["inputs"] == inputs
    context.close()
