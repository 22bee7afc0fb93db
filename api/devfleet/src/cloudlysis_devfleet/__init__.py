"""Simulated Cloudlysis platform services (a test and demo fixture).

The devfleet implements the HTTP contracts in ``docs/contracts/`` so the demo and end-to-end
tests have a platform to talk to. The control plane's own code must never import it.
"""

from cloudlysis_devfleet.common import ServiceKit
from cloudlysis_devfleet.gateway import GatewayConfig, create_gateway_app
from cloudlysis_devfleet.serving import serve

__all__ = ["GatewayConfig", "ServiceKit", "create_gateway_app", "serve"]
