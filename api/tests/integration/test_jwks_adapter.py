"""The JWKS HTTP adapter against a real HTTP server on 127.0.0.1 (no patched clients)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from cloudlysis_control.adapters.jwks import HttpJwksFetcher
from cloudlysis_control.auth.keys import JwksKeySource
from cloudlysis_control.auth.tokens import TokenRejected, TokenVerifier
from cloudlysis_control.core.errors import UpstreamTimeout, UpstreamUnavailable
from tests.support.clock import FakeClock
from tests.support.net import free_port

ISSUER = "cloudlysis-gateway"
AUDIENCE = "cloudlysis-control"
LONG_TAIL = "TAIL-THAT-MUST-NOT-APPEAR"
SMALL_BODY_LIMIT = 4096


@dataclass
class ServerState:
    jwks: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    jwks_hits: int = 0
    release_slow: threading.Event = field(default_factory=threading.Event)


def _handler_for(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/jwks":
                state.jwks_hits += 1
                self._send(200, json.dumps(state.jwks).encode())
            elif self.path == "/slow":
                state.release_slow.wait(5)
                with contextlib.suppress(OSError):  # the client gave up long ago
                    self._send(200, b'{"keys": []}')
            elif self.path == "/error":
                self._send(500, ("A" * 10_000 + LONG_TAIL).encode(), "text/plain")
            elif self.path == "/teapot":
                self._send(418, b"\x1b[31mI am a teapot\x00", "text/plain")
            elif self.path == "/badjson":
                self._send(200, b'{"keys": [')
            elif self.path == "/array":
                self._send(200, b"[1, 2]")
            elif self.path == "/big":
                self._send(200, b'{"keys": [], "pad": "' + b"x" * (SMALL_BODY_LIMIT * 4) + b'"}')
            elif self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/jwks")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        state.release_slow.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


def _refused_url() -> str:
    # Nothing listens on a port free_port() found.
    return f"http://127.0.0.1:{free_port()}/jwks"


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, OKPKey]:
    return {
        "k1": OKPKey.generate_key("Ed25519", {"kid": "k1"}),
        "k2": OKPKey.generate_key("Ed25519", {"kid": "k2"}),
    }


def _jwks(keys: dict[str, OKPKey], *kids: str) -> dict[str, Any]:
    # The shape the devfleet Gateway publishes: public key, kid, use and alg.
    return {
        "keys": [
            {**keys[kid].as_dict(private=False), "use": "sig", "alg": "Ed25519"} for kid in kids
        ]
    }


def _token(key: OKPKey, kid: str, now: float) -> str:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u1", "sid": "s1", "exp": int(now) + 300}
    return jwt.encode({"alg": "Ed25519", "kid": kid}, claims, key, algorithms=["Ed25519"])


# --- fetcher ----------------------------------------------------------------------------------


async def test_fetches_a_jwks_document(
    server: tuple[str, ServerState], client: httpx.AsyncClient, signing_keys: dict[str, OKPKey]
) -> None:
    base, state = server
    state.jwks = _jwks(signing_keys, "k1")
    document = await HttpJwksFetcher(client).fetch_jwks(f"{base}/jwks")
    assert document == state.jwks


async def test_timeout_becomes_upstream_timeout(
    server: tuple[str, ServerState], client: httpx.AsyncClient
) -> None:
    base, _ = server
    with pytest.raises(UpstreamTimeout) as info:
        await HttpJwksFetcher(client, timeout_s=0.2).fetch_jwks(f"{base}/slow")
    assert isinstance(info.value.__cause__, httpx.TimeoutException)
    assert info.value.extra["upstream"] == "jwks"


async def test_connection_refused_becomes_upstream_unavailable(client: httpx.AsyncClient) -> None:
    with pytest.raises(UpstreamUnavailable) as info:
        await HttpJwksFetcher(client, timeout_s=2).fetch_jwks(_refused_url())
    assert not isinstance(info.value, UpstreamTimeout)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_non_200_becomes_upstream_unavailable_with_truncated_body(
    server: tuple[str, ServerState], client: httpx.AsyncClient
) -> None:
    base, _ = server
    with pytest.raises(UpstreamUnavailable) as info:
        await HttpJwksFetcher(client).fetch_jwks(f"{base}/error")
    message = info.value.detail
    assert "HTTP 500" in message
    assert "AAAA" in message
    assert LONG_TAIL not in message
    assert len(message) < 400
    assert info.value.extra["upstream_status"] == 500


async def test_control_characters_from_the_body_do_not_reach_the_message(
    server: tuple[str, ServerState], client: httpx.AsyncClient
) -> None:
    base, _ = server
    with pytest.raises(UpstreamUnavailable) as info:
        await HttpJwksFetcher(client).fetch_jwks(f"{base}/teapot")
    assert "HTTP 418" in info.value.detail
    assert "I am a teapot" in info.value.detail
    assert "\x1b" not in info.value.detail
    assert "\x00" not in info.value.detail


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("/badjson", "not valid JSON", id="invalid-json"),
        pytest.param("/array", "not a JSON object", id="not-an-object"),
        pytest.param("/big", "exceeds", id="too-large"),
        pytest.param("/redirect", "HTTP 302", id="redirect-not-followed"),
        pytest.param("/missing", "HTTP 404", id="not-found"),
    ],
)
async def test_unusable_responses_become_upstream_unavailable(
    server: tuple[str, ServerState], client: httpx.AsyncClient, path: str, expected: str
) -> None:
    base, _ = server
    fetcher = HttpJwksFetcher(client, max_body_bytes=SMALL_BODY_LIMIT)
    with pytest.raises(UpstreamUnavailable, match=expected) as info:
        await fetcher.fetch_jwks(f"{base}{path}")
    assert len(info.value.detail) < 400


# --- through the verifier ------------------------------------------------------------------------


async def test_verifier_over_real_jwks_follows_rotation(
    server: tuple[str, ServerState], client: httpx.AsyncClient, signing_keys: dict[str, OKPKey]
) -> None:
    base, state = server
    state.jwks = _jwks(signing_keys, "k1")
    hits_before = state.jwks_hits
    clock = FakeClock(1_800_000_000.0)
    verifier = TokenVerifier(
        key_source=JwksKeySource(HttpJwksFetcher(client), f"{base}/jwks", clock=clock),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=clock,
    )

    first = await verifier.verify(f"Bearer {_token(signing_keys['k1'], 'k1', clock.now)}")
    assert first.sub == "u1"

    state.jwks = _jwks(signing_keys, "k1", "k2")
    clock.now += 31
    rotated = await verifier.verify(f"Bearer {_token(signing_keys['k2'], 'k2', clock.now)}")
    assert rotated.sid == "s1"
    assert state.jwks_hits - hits_before == 2

    # An unknown kid right after a fetch is refused without asking the Gateway again.
    with pytest.raises(TokenRejected) as info:
        await verifier.verify(f"Bearer {_token(signing_keys['k1'], 'k9', clock.now)}")
    assert info.value.reason == "unknown_kid"
    assert state.jwks_hits - hits_before == 2


async def test_verifier_propagates_unreachable_jwks_as_upstream_error(
    client: httpx.AsyncClient, signing_keys: dict[str, OKPKey]
) -> None:
    clock = FakeClock(1_800_000_000.0)
    verifier = TokenVerifier(
        key_source=JwksKeySource(HttpJwksFetcher(client, timeout_s=2), _refused_url(), clock=clock),
        issuer=ISSUER,
        audience=AUDIENCE,
        clock=clock,
    )
    with pytest.raises(UpstreamUnavailable):
        await verifier.verify(f"Bearer {_token(signing_keys['k1'], 'k1', clock.now)}")
