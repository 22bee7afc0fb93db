"""The demo's principals: admin, viewer and the tenant operator acme-operator (tenant-operator
on acme-eu and acme-us), each with a dev-login token in DIR/tokens and a generated password in
DIR/passwords (owner-only) for the console's password and SSO sign-in."""

import json
import secrets
import urllib.request
from pathlib import Path

DEMO_PRINCIPALS = ("admin", "viewer", "acme-operator")


def post_json(
    url: str, body: dict[str, str], method: str = "POST", token: str | None = None
) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(  # noqa: S310 - loopback only
        url, data=json.dumps(body).encode(), headers=headers, method=method
    )
    with urllib.request.urlopen(req, timeout=5) as r:  # noqa: S310
        raw = r.read()
    answer: dict[str, str] = json.loads(raw) if raw else {}
    return answer


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)


def provision_principals(gateway_url: str, base: Path) -> None:
    """A token (dev login) and a password (password sign-in) for each demo principal."""
    for who in DEMO_PRINCIPALS:
        token = post_json(f"{gateway_url}/auth/v1/dev-login", {"principal": who})
        (base / "tokens" / f"{who}.jwt").write_text(token["access_token"] + "\n")
    admin = (base / "tokens" / "admin.jwt").read_text().strip()
    for who in DEMO_PRINCIPALS:
        password = secrets.token_urlsafe(12)
        post_json(
            f"{gateway_url}/iam/v1/users/{who}/password",
            {"password": password},
            method="PUT",
            token=admin,
        )
        _write_private(base / "passwords" / f"{who}.txt", password + "\n")
