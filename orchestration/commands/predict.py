"""``paris-housing predict --example``: ask the running service to price a home of the dataset."""

from __future__ import annotations

from orchestration.console import console, user_errors


def run_predict(row: int, url: str | None) -> None:
    """Send row ``row`` of the shipped dataset to the service; print the estimate and the truth."""
    from paris_housing.datasets import get_spec
    from paris_housing.settings import get_settings
    from webservice.client import ClientError, example, predict

    settings = get_settings()
    spec = get_spec(settings.dataset)
    url = url or settings.api_url
    with user_errors(ClientError):
        home = example(spec, settings, row)
        answer = predict(url, home.home, settings.web_api_timeout_seconds)
    price, currency = float(answer["price"]), answer.get("currency", "")
    difference = price - home.price
    console.print(f"Home {row + 1} of the shipped dataset ({spec.source.file_name}):")
    console.print(", ".join(f"{name}={value}" for name, value in home.home.items()))
    console.print(
        f"[bold]estimate {price:,.0f} {currency}[/] by {answer['model_name']} version "
        f"{answer['model_version']} at {url}"
    )
    console.print(
        f"true price {home.price:,.0f} {currency}: off by {difference:+,.0f} {currency} "
        f"({difference / home.price:+.2%})"
    )
    console.print(f"request id {answer['request_id']}")
