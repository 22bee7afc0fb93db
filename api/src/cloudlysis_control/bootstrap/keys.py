"""Where token keys come from: a secret or PEM file read at start-up, else the Gateway's JWKS."""

from __future__ import annotations

import httpx

from cloudlysis_control.adapters.jwks import HttpJwksFetcher
from cloudlysis_control.auth.keys import JwksKeySource, KeySource, StaticKeySource
from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.metrics import Metrics
from cloudlysis_control.core.settings import Settings


def static_key_source(settings: Settings) -> StaticKeySource | None:
    """The configured secret or PEM key (read now), None when keys come from a JWKS URL."""
    auth = settings.auth
    try:
        if auth.hs256_secret_file is not None:
            return StaticKeySource.from_hs256_secret_file(auth.hs256_secret_file)
        if auth.public_key_file is not None:
            return StaticKeySource.from_pem_file(auth.public_key_file)
    except ValueError as e:
        var = (
            "CONTROL_TOKEN_HS256_SECRET_FILE"
            if auth.hs256_secret_file
            else "CONTROL_TOKEN_PUBLIC_KEY_FILE"
        )
        raise SettingsError(f"{var} is invalid: {e}") from e
    if auth.jwks_url is not None:
        return None
    raise SettingsError(
        "no token key source: set CONTROL_JWKS_URL, CONTROL_TOKEN_PUBLIC_KEY_FILE or "
        "CONTROL_TOKEN_HS256_SECRET_FILE"
    )


def key_source(settings: Settings, http: httpx.AsyncClient, metrics: Metrics) -> KeySource:
    static = static_key_source(settings)
    if static is not None:
        return static
    url = settings.auth.jwks_url
    if url is None:  # static_key_source() returns None only when a JWKS URL is set
        raise SettingsError("CONTROL_JWKS_URL is not set")
    fetcher = HttpJwksFetcher(http, timeout_s=settings.gateway.timeout_s, metrics=metrics)
    return JwksKeySource(fetcher, url)
