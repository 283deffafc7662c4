"""Reading a connection's secrets: one BatchGetSecretValue request for the group, single reads as fallback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hub import secrets
from hub.errors import ConfigurationError
from hub.observability import logger as hub_logger
from hub.secrets import BemakersCredentials, EconomicCredentials, group_secrets, read_secret
from hubctl.bench.aws_calls import AwsCallRecorder, CallTally
from hubctl.local import LocalHub

BEMAKERS = "bemakers-hub/shop/bemakers"
ECONOMIC = "bemakers-hub/shop/economic"
MISSING = "bemakers-hub/shop/ongoing"
TOKEN = "secret-token-value-3f9c"


@pytest.fixture
def hub() -> Iterator[LocalHub]:
    local = LocalHub()
    local.start()
    local.put_secret(BEMAKERS, {"api_token": TOKEN, "webhook_secrets": ["whsec-1"]})
    local.put_secret(ECONOMIC, {"app_secret_token": "app-1", "agreement_grant_token": "grant-1"})
    secrets.clear_cache()
    yield local
    secrets.clear_cache()
    local.stop()


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """What the hub's logger and the root logger write at DEBUG and above, in the hub's JSON format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(hub_logger.registered_formatter)
    loggers = [logging.getLogger(), logging.getLogger("bemakers-hub")]
    levels = [each.level for each in loggers]
    for each in loggers:
        each.addHandler(handler)
        each.setLevel(logging.DEBUG)
    yield stream
    for each, level in zip(loggers, levels, strict=True):
        each.removeHandler(handler)
        each.setLevel(level)


@pytest.fixture
def recorder() -> Iterator[AwsCallRecorder]:
    installed = AwsCallRecorder().install()
    yield installed
    installed.uninstall()


def _read_both(recorder: AwsCallRecorder) -> CallTally:
    with recorder.recording() as tally:
        read_secret(BEMAKERS, BemakersCredentials)
        read_secret(ECONOMIC, EconomicCredentials)
    return tally


def test_group_is_read_in_one_request(hub: LocalHub, recorder: AwsCallRecorder) -> None:
    group_secrets([BEMAKERS, ECONOMIC])
    tally = _read_both(recorder)
    assert tally.calls[("secretsmanager", "BatchGetSecretValue")] == 1


def test_group_read_needs_no_single_reads(hub: LocalHub, recorder: AwsCallRecorder) -> None:
    group_secrets([BEMAKERS, ECONOMIC])
    tally = _read_both(recorder)
    assert tally.calls[("secretsmanager", "GetSecretValue")] == 0


def test_secret_from_group_read_has_its_value(hub: LocalHub) -> None:
    group_secrets([BEMAKERS, ECONOMIC])
    assert read_secret(ECONOMIC, EconomicCredentials).agreement_grant_token == "grant-1"


def test_cached_group_is_not_read_again(hub: LocalHub, recorder: AwsCallRecorder) -> None:
    group_secrets([BEMAKERS, ECONOMIC])
    _read_both(recorder)
    tally = _read_both(recorder)
    assert tally.secrets_reads == 0


def test_ungrouped_secret_is_read_on_its_own(hub: LocalHub, recorder: AwsCallRecorder) -> None:
    with recorder.recording() as tally:
        read_secret(BEMAKERS, BemakersCredentials)
    assert dict(tally.calls) == {("secretsmanager", "GetSecretValue"): 1}


def test_missing_secret_of_a_group_is_named(hub: LocalHub) -> None:
    group_secrets([BEMAKERS, ECONOMIC, MISSING])
    with pytest.raises(ConfigurationError, match="bemakers-hub/shop/ongoing"):
        read_secret(MISSING, EconomicCredentials)


def test_group_with_missing_secret_reads_others(hub: LocalHub) -> None:
    group_secrets([BEMAKERS, ECONOMIC, MISSING])
    assert read_secret(BEMAKERS, BemakersCredentials).api_token == TOKEN


class _DeniedBatch:
    """A Secrets Manager client whose BatchGetSecretValue is denied, as without the IAM action."""

    def batch_get_secret_value(self, **_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "BatchGetSecretValue"
        )


def test_denied_batch_falls_back_to_single_reads(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_secrets_client", lambda: _DeniedBatch())
    group_secrets([BEMAKERS, ECONOMIC])
    assert read_secret(BEMAKERS, BemakersCredentials).api_token == TOKEN


def test_denied_batch_logs_the_error_code(
    hub: LocalHub, monkeypatch: pytest.MonkeyPatch, captured_logs: io.StringIO
) -> None:
    monkeypatch.setattr(secrets, "_secrets_client", lambda: _DeniedBatch())
    group_secrets([BEMAKERS, ECONOMIC])
    read_secret(BEMAKERS, BemakersCredentials)
    assert '"error_code":"AccessDeniedException"' in captured_logs.getvalue()


def test_secret_values_stay_out_of_the_log(hub: LocalHub, captured_logs: io.StringIO) -> None:
    group_secrets([BEMAKERS, ECONOMIC])
    read_secret(BEMAKERS, BemakersCredentials)
    read_secret(ECONOMIC, EconomicCredentials)
    assert TOKEN not in captured_logs.getvalue()
