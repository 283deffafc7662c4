"""Reading JSON responses of the connected systems into models, with errors that name the request.

A body that is not JSON, or not the shape the hub expects, is a `TargetRejected` naming the
request's method and path. The query string is left out, because it can name the account's data.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, TypeAdapter, ValidationError

from hub.errors import TargetRejected, validation_paths

Model = TypeVar("Model", bound=BaseModel)


def request_path(response: requests.Response) -> str:
    """Return the request's method and path without the query string."""
    request = response.request
    return f"{request.method} {request.path_url.split('?', 1)[0]}"


def model_mismatch(target: str, response: requests.Response, error: ValidationError) -> TargetRejected:
    """Build the rejection for a response body that fails the expected model."""
    return TargetRejected(
        target,
        f"{request_path(response)} answer fails the expected model at {validation_paths(error)[:5]}",
        status=response.status_code,
    )


def parse_model(target: str, response: requests.Response, model: type[Model]) -> Model:
    """Validate the JSON body as `model`; an empty body counts as `{}`."""
    try:
        return model.model_validate_json(response.content or b"{}")
    except ValidationError as error:
        raise model_mismatch(target, response, error) from None


def parse_list(target: str, response: requests.Response, adapter: TypeAdapter[list[Any]]) -> list[Any]:
    """Validate the JSON body with a list adapter; an empty body counts as `[]`."""
    try:
        parsed: list[Any] = adapter.validate_json(response.content or b"[]")
    except ValidationError as error:
        raise model_mismatch(target, response, error) from None
    return parsed


def load_decimal_json(target: str, response: requests.Response, empty: bytes) -> Any:
    """Decode the JSON body with its decimals as Decimal, so that prices stay exact.

    `empty` is decoded in place of an empty body.
    """
    try:
        return json.loads(response.content or empty, parse_float=Decimal)
    except ValueError:
        raise TargetRejected(
            target, f"{request_path(response)} answer is not valid JSON", status=response.status_code
        ) from None


def error_body(response: requests.Response) -> dict[str, Any]:
    """Return the JSON object of an error response, or `{}` when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
