"""Simulated Cloudlysis Gateway: token minting, JWKS and the IAM API.

Implements ``docs/contracts/gateway-iam.md`` for the demo and end-to-end tests. The signing keys
and IAM state (users, roles, sessions) live in ``GatewayConfig.data_dir``, so a restarted
simulator keeps accepting the tokens it issued before.

Simulator-only endpoints (not part of the contract) live under ``/_devfleet/``:
``POST /_devfleet/switches`` (see ``common``) and ``POST /_devfleet/keys/rotate``.

``config`` holds the settings, ``keys`` the signing keys and JWKS, ``iam_state`` the users, roles
and sessions on disk, ``schemas`` the request bodies, ``service`` the behaviour (tokens,
authentication, IAM operations) and ``app`` the HTTP routes; routing is ``..routing``.
"""

from cloudlysis_devfleet.gateway.app import create_gateway_app
from cloudlysis_devfleet.gateway.config import GatewayConfig

__all__ = ["GatewayConfig", "create_gateway_app"]
