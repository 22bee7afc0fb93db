"""Gateway IAM through Control: the byte-for-byte pass-through (mutations audited before and
after, fail closed), dev login for demos, and the rights cache kept honest on revocation."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from cloudlysis_control.audit.schemas import AuditOutcome
from cloudlysis_control.audit.service import AuditService
from cloudlysis_control.auth.rights import RightsResolver
from cloudlysis_control.core.errors import (
    ControlError,
    Forbidden,
    NotFound,
    UpstreamError,
    UpstreamUnavailable,
    ValidationFailed,
)
from cloudlysis_control.core.logging import get_logger
from cloudlysis_control.iam.ports import ForwardedResponse, IamGateway
from cloudlysis_control.iam.schemas import DevLoginToken

MAX_BODY = 1024 * 1024
IAM_PATH_PATTERN = r"^[A-Za-z0-9._~\-/:@]{1,512}$"
_PATH_RE = re.compile(IAM_PATH_PATTERN)
_REVOKE_PATH = re.compile(r"^sessions/([^/]+)/revoke$")
# A forwarded header value (RFC 9110 field-value) that any HTTP/1.1 stack sends and accepts:
# visible ASCII, inner spaces and tabs. Control bytes, obs-text and whitespace-only values are
# the client's error (400), not something to pass to the Gateway or blame on it.
_FIELD_VALUE = re.compile(r"[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*")
_OWS = " \t"

# Changes to one principal (disable, delete, bindings, revoke all its sessions).
_PRINCIPAL_PATH = re.compile(r"^users/([^/]+)(?:/bindings/[^/]+|/sessions/revoke)?$")
_ROLE_PATH = re.compile(r"^roles/[^/]+$")
_log = get_logger("control.iam")


def clean_iam_path(path: str) -> str:
    p = path.lstrip("/")
    if not _PATH_RE.match(p) or ".." in p.split("/"):
        raise ValidationFailed("invalid IAM path")
    return p


def clean_iam_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers to forward, surrounding whitespace (not part of a field value) removed;
    ValidationFailed naming the header when a value cannot be forwarded as it is."""
    out = []
    for name, value in headers:
        stripped = value.strip(_OWS)
        if stripped and not _FIELD_VALUE.fullmatch(stripped):
            raise ValidationFailed(
                f"the {name} header cannot be forwarded: use visible ASCII characters only"
            )
        out.append((name, stripped))
    return out


def _gateway_detail(body: bytes) -> str | None:
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    detail = doc.get("detail") if isinstance(doc, dict) else None
    return str(detail)[:300] if detail else None


class IamService:
    def __init__(
        self, gateway: IamGateway | None, audit: AuditService, resolver: RightsResolver
    ) -> None:
        self._gateway = gateway
        self.audit = audit
        self.resolver = resolver

    @property
    def gateway(self) -> IamGateway:
        if self._gateway is None:
            raise UpstreamUnavailable("no Gateway is configured (CONTROL_GATEWAY_URL)")
        return self._gateway

    @property
    def configured(self) -> bool:
        return self._gateway is not None

    async def forward(
        self,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> ForwardedResponse:
        gateway = self.gateway
        clean = clean_iam_path(path)
        forwarded = clean_iam_headers(headers)
        if len(body) > MAX_BODY:
            raise ValidationFailed("request body too large")
        return await gateway.forward(method, clean, query, forwarded, body)

    async def change(
        self,
        actor: str,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> ForwardedResponse:
        """A mutation: audited before (fail closed: no audit, no change) and after."""
        clean = clean_iam_path(path)
        clean_iam_headers(headers)  # refused before anything is audited, like a bad path
        target = f"iam:{clean}"
        action = f"iam.{method.lower()}"
        await self.audit.record(actor=actor, action=action, target=target, outcome="accepted")
        try:
            answer = await self.forward(method, path, query, headers, body)
        except ControlError as e:
            await self._outcome(actor, action, target, "failed", {"error": e.code})
            raise
        outcome: AuditOutcome = "succeeded" if answer.status < 400 else "failed"
        if outcome == "succeeded":
            self._forget_cached_rights(clean)
        await self._outcome(actor, action, target, outcome, {"status": answer.status})
        return answer

    def _forget_cached_rights(self, path: str) -> None:
        """Do not wait for the rights TTL: a change made through this replica applies to the
        next request (a revoked session is refused, a disabled user too, new scope holds)."""
        if revoked := _REVOKE_PATH.match(path):
            self.resolver.invalidate_session(revoked.group(1))
        elif principal := _PRINCIPAL_PATH.match(path):
            self.resolver.invalidate_principal(principal.group(1))
        elif _ROLE_PATH.match(path):
            self.resolver.clear()  # every holder of the role may have other rights now

    async def _outcome(
        self, actor: str, action: str, target: str, outcome: AuditOutcome, detail: dict[str, Any]
    ) -> None:
        try:
            await self.audit.record(
                actor=actor, action=action, target=target, outcome=outcome, detail=detail
            )
        except ControlError:
            _log.error("could not audit the outcome of an IAM change", action=action, target=target)

    async def dev_login(self, principal: str) -> DevLoginToken:
        """The Gateway's dev login (demo only), its refusals mapped to our problems."""
        forwarded = await self.gateway.dev_login(principal)
        if forwarded.status == 200:
            try:
                return msgspec.json.decode(forwarded.body, type=DevLoginToken)
            except msgspec.DecodeError as e:
                raise UpstreamError("the gateway's dev login returned an invalid token") from e
        detail = _gateway_detail(forwarded.body)
        if forwarded.status == 404:
            raise NotFound(detail or f"no dev-login principal {principal!r}")
        if forwarded.status == 403:
            raise Forbidden(detail or "this principal may not log in")
        raise UpstreamError(f"the gateway's dev login answered {forwarded.status}")
