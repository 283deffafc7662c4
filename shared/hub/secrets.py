"""Credentials from Secrets Manager, cached per execution environment.

Powertools' Parameters utility caches each secret for `max_age` seconds, so a warm
function reads each secret at most once per cache period, not once per order. A rotated
secret is picked up when the cache expires.
"""

from __future__ import annotations

from typing import TypeVar

from aws_lambda_powertools.utilities import parameters
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hub.errors import ConfigurationError

SECRET_CACHE_SECONDS = 300

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


def read_secret(name: str, model: type[SecretModel]) -> SecretModel:
    """Read the JSON secret `name` and validate it. Raises ConfigurationError without the secret's content."""
    try:
        value = parameters.get_secret(name, transform="json", max_age=SECRET_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError as error:
        raise ConfigurationError(f"secret {name!r} could not be read from Secrets Manager") from error
    except parameters.exceptions.TransformParameterError as error:
        raise ConfigurationError(f"secret {name!r} is not valid JSON") from error
    try:
        return model.model_validate(value)
    except ValidationError as error:
        fields = ", ".join(".".join(str(part) for part in detail["loc"]) for detail in error.errors())
        raise ConfigurationError(f"secret {name!r} is missing or has invalid fields: {fields}") from None


def clear_cache() -> None:
    """Drop cached secrets, so the next read goes to Secrets Manager."""
    parameters.clear_caches()
