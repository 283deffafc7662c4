"""Credentials from Secrets Manager, cached per execution environment.

Each secret is cached for `SECRET_CACHE_SECONDS`, so a warm function reads it at most once
per cache period, not once per order. A rotated secret is picked up when the cache expires.

A connection's secrets form a group (`group_secrets`): the first read of one of them reads
the whole group with one BatchGetSecretValue request, so a function that needs a
connection's e-conomic, Ongoing and Zettle credentials makes one request per cold start,
not three. A secret the batch does not return is read on its own with GetSecretValue, which
gives the error of that one secret.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.errors import ConfigurationError
from hub.observability import logger

SECRET_CACHE_SECONDS = 300
# BatchGetSecretValue takes at most 20 secret ids per request.
_BATCH_LIMIT = 20

_groups: dict[str, tuple[str, ...]] = {}
"""Each grouped secret's name → the names of its group."""
_batch_cache: dict[str, tuple[float, Any]] = {}
"""Secret name → (time read, parsed JSON value) for secrets read in a batch."""

SecretModel = TypeVar("SecretModel", bound=BaseModel)


class BemakersCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    api_token: str = Field(min_length=1)
    webhook_secrets: list[str] = Field(min_length=1, max_length=2)
    """The webhook signing secrets in force: two while a secret is being rotated."""


class EconomicCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    app_secret_token: str = Field(min_length=1)
    agreement_grant_token: str = Field(min_length=1)


class OngoingCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    goods_owner_id: int | None = Field(default=None, ge=1)
    webhook_password: str | None = Field(default=None, min_length=16)
    """The password Ongoing's webhooks send with HTTP Basic authentication. Without it, webhooks get 401."""


class ZettleCredentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    client_id: str = Field(min_length=1)
    """The client id of the merchant's self-hosted app in Zettle."""
    api_key: str = Field(min_length=1)
    """The API key the merchant created: a signed JWT sent as the assertion of the token request."""
    webhook_signing_keys: list[str] = Field(default_factory=list, max_length=2)
    """The signing keys of the merchant's webhook subscriptions: two while one is replaced. Without
    one, Zettle webhooks get 401 and only the schedule imports Zettle stock."""


@cache
def _secrets_client() -> Any:
    return boto3.client("secretsmanager")


def group_secrets(names: Iterable[str]) -> None:
    """Read these secrets together from now on: the first read of one reads them all."""
    group = tuple(sorted(set(names)))
    if len(group) > 1:
        for name in group:
            _groups[name] = group


def _read_group(group: tuple[str, ...]) -> None:
    """Read the group's secrets with BatchGetSecretValue into the batch cache.

    A secret the batch misses is read on its own later, which names its error.
    """
    now = time.monotonic()
    for start in range(0, len(group), _BATCH_LIMIT):
        names = list(group[start : start + _BATCH_LIMIT])
        try:
            response = _secrets_client().batch_get_secret_value(SecretIdList=names)
        except (ClientError, BotoCoreError) as error:
            code = error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__
            logger.warning("batch read of secrets failed; reading them one by one", error_code=code)
            return
        for secret in response.get("SecretValues", []):
            try:
                _batch_cache[str(secret["Name"])] = (now, json.loads(secret["SecretString"]))
            except (KeyError, ValueError):
                continue


def _cached_value(name: str) -> Any | None:
    cached = _batch_cache.get(name)
    if cached is not None and time.monotonic() - cached[0] < SECRET_CACHE_SECONDS:
        return cached[1]
    return None


def read_secret(name: str, model: type[SecretModel]) -> SecretModel:
    """Read the JSON secret `name` and validate it. Raises ConfigurationError without the secret's content."""
    value = _cached_value(name)
    if value is None and name in _groups:
        _read_group(_groups[name])
        value = _cached_value(name)
    if value is None:
        value = _read_single(name)
    try:
        return model.model_validate(value)
    except ValidationError as error:
        fields = ", ".join(".".join(str(part) for part in detail["loc"]) for detail in error.errors())
        raise ConfigurationError(f"secret {name!r} is missing or has invalid fields: {fields}") from None


def _read_single(name: str) -> Any:
    try:
        return parameters.get_secret(name, transform="json", max_age=SECRET_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigurationError(f"secret {name!r} could not be read from Secrets Manager") from error
    except parameters.exceptions.TransformParameterError as error:
        raise ConfigurationError(f"secret {name!r} is not valid JSON") from error


def clear_cache() -> None:
    """Drop cached secrets, groups and clients, as a new execution environment starts without them."""
    parameters.clear_caches()
    _batch_cache.clear()
    _groups.clear()
    _secrets_client.cache_clear()
