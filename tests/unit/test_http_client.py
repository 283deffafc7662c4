import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from hub.connectors.economic import rejection_from_response
from hub.connectors.http import JsonHttpClient, _retry_after_seconds, encode_json
from hub.errors import TargetUnavailable
from hubctl.sandboxes._http import HttpRequest, HttpResponse, LoopbackJsonServer


class EchoServer(LoopbackJsonServer):
    def handle(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(201 if request.method == "POST" else 200, {"path": request.path})


@pytest.fixture
def server() -> Iterator[EchoServer]:
    with EchoServer(slow_seconds=1.0) as echo:
        yield echo


def _client(base_url: str, sleeps: list[float], attempts: int = 3) -> JsonHttpClient:
    return JsonHttpClient(
        "test", base_url, headers={}, timeout_seconds=0.5, max_attempts=attempts, sleep=sleeps.append
    )


def test_get_retries_503_then_succeeds(server: EchoServer) -> None:
    server.inject_fault("GET", "/x", "http_503", times=2)
    sleeps: list[float] = []
    response = _client(server.base_url, sleeps).request("GET", "/x")
    assert response.status_code == 200
    assert len(sleeps) == 2


def test_retry_honours_retry_after(server: EchoServer) -> None:
    server.inject_fault("GET", "/x", "http_429", retry_after=7)
    sleeps: list[float] = []
    _client(server.base_url, sleeps).request("GET", "/x")
    assert sleeps == [7.0]


def test_post_retries_429(server: EchoServer) -> None:
    server.inject_fault("POST", "/x", "http_429", retry_after=0)
    response = _client(server.base_url, []).request("POST", "/x", json_body={})
    assert response.status_code == 201


def test_post_is_not_retried_after_500(server: EchoServer) -> None:
    server.inject_fault("POST", "/x", "accepted_then_500")
    with pytest.raises(TargetUnavailable):
        _client(server.base_url, []).request("POST", "/x", json_body={})
    assert [request.method for request in server.requests] == ["POST"]


def test_post_is_not_retried_after_read_timeout(server: EchoServer) -> None:
    server.inject_fault("POST", "/x", "timeout")
    with pytest.raises(TargetUnavailable, match="timed out"):
        _client(server.base_url, []).request("POST", "/x", json_body={})


def test_get_gives_up_after_max_attempts(server: EchoServer) -> None:
    server.inject_fault("GET", "/x", "http_500", times=5)
    with pytest.raises(TargetUnavailable) as caught:
        _client(server.base_url, [], attempts=3).request("GET", "/x")
    assert caught.value.status == 500


def test_refused_connection_is_retried_even_for_post() -> None:
    sleeps: list[float] = []
    with pytest.raises(TargetUnavailable, match="connection error"):
        _client("http://127.0.0.1:9", sleeps, attempts=2).request("POST", "/x", json_body={})
    assert len(sleeps) == 1


def test_4xx_is_returned_not_retried(server: EchoServer) -> None:
    class Rejecting(LoopbackJsonServer):
        def handle(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(400, {"message": "bad"})

    with Rejecting() as rejecting:
        sleeps: list[float] = []
        response = _client(rejecting.base_url, sleeps).request("POST", "/x", json_body={})
    assert (response.status_code, sleeps) == (400, [])


@pytest.mark.parametrize(("header", "seconds"), [("3", 3.0), ("120", 30.0), (None, None), ("soon", None)])
def test_retry_after_parsing(header: str | None, seconds: float | None) -> None:
    assert _retry_after_seconds(header) == seconds


def test_encode_json_writes_decimals_exactly() -> None:
    assert encode_json({"a": Decimal("79.99"), "b": Decimal("3.000")}) == b'{"a": 79.99, "b": 3}'


def test_encode_json_refuses_inexact_decimal() -> None:
    with pytest.raises(ValueError, match="exact"):
        encode_json({"a": Decimal("0.12345678901234567890")})


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


def test_economic_error_maps_to_line_field() -> None:
    body = (
        b'{"message":"Validation error","logId":"abc","errors":{"lines":[{"arrayIndex":2,'
        b'"unitNetPrice":{"errors":[{"errorCode":"E04740","message":"Too many decimals"}]}}]}}'
    )
    rejection = rejection_from_response(_response(400, body))
    assert (rejection.field, rejection.code, rejection.log_id) == ("lines[2].unitNetPrice", "E04740", "abc")


def test_economic_error_maps_to_nested_field() -> None:
    body = b'{"message":"x","errors":{"customer":{"errors":[{"errorCode":"E06000","message":"Not found"}]}}}'
    rejection = rejection_from_response(_response(400, body))
    assert (rejection.field, rejection.code, str(rejection)) == ("customer", "E06000", "Not found")


def test_economic_error_without_json_body() -> None:
    rejection = rejection_from_response(_response(404, b"<html>"))
    assert (rejection.status, rejection.field, str(rejection)) == (404, None, "HTTP 404")


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_proxy_variables_are_honoured(server: EchoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_unused_port()}")

    with pytest.raises(TargetUnavailable, match="connection error"):
        _client(server.base_url, [], attempts=1).request("GET", "/x")
    assert server.requests == []


def test_no_proxy_bypasses_the_proxy(server: EchoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{_unused_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    response = _client(server.base_url, [], attempts=1).request("GET", "/x")

    assert response.status_code == 200
