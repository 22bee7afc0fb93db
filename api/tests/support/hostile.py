"""Hypothesis strategies for hostile HTTP requests, as a real server can deliver them.

What uvicorn (h11 or httptools) lets through, and so what these strategies draw:
- the request target is printable ASCII without spaces (0x21-0x7E); the path ends at the first
  `?`, and percent-escapes in it may decode to any byte sequence (uvicorn unquotes it);
- header names are lowercase tokens; header values may hold any byte but NUL, LF and CR;
- the body is any bytes, with a Content-Length that matches it (or chunked, without one).

`Route`s come from the app's OpenAPI schema (`routes_of`); requests aim at them (mutated), at
random paths and, for an app serving the UI, at the UI's paths.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

# -- bytes a server delivers ----------------------------------------------------------------------

TARGET_CHARS = "".join(chr(c) for c in range(0x21, 0x7F))
PATH_CHARS = TARGET_CHARS.replace("?", "")
HEADER_VALUE_BYTES = bytes(b for b in range(1, 256) if b not in (0x0A, 0x0D))
TOKEN_CHARS = string.ascii_lowercase + string.digits + "!#$%&'*+-.^_`|~"

ID_CHARS = string.ascii_letters + string.digits + "._:-"
_HEX = "0123456789abcdef"


def header_safe(value: bytes) -> bytes:
    """Drop what no server hands an app inside a header value (NUL, LF, CR)."""
    return bytes(b for b in value if b not in (0, 0x0A, 0x0D))


def percent_encode(data: bytes, safe: str = "") -> str:
    return quote(data, safe=safe)


# -- building blocks -------------------------------------------------------------------------------

NASTY_TEXT = [
    "",
    " ",
    "\t",
    "\x00",
    "\x01",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u00e9",
    "\u20ac",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "\U0001f4a9",
    "..",
    "../..",
    "%",
    "%00",
    "%zz",
    "\\",
    '"',
    "'",
    "{",
    "}",
    "*",
    "a" * 300,
    "j_" + "0" * 32,
    "null",
    "true",
    "-1",
    "1e999",
    "9" * 40,
]

# Byte strings a header can carry that tend to hurt: encodings, control bytes, quotes, lengths.
NASTY_HEADER_VALUES = [
    b"",
    b" ",
    b"\t",
    b" x ",
    b"\x01",
    b"\x7f",
    b"\x1b[31m",
    b"\xff",
    b"\xc3\xa9",
    b"\xe2\x82\xac",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",
    b"\xc0\x80",
    b'"',
    b"\\",
    b";",
    b",",
    b",,,",
    b"=",
    b"%00",
    b"a" * 129,
    b"a" * 9000,
    b"\xe2\x80\xae",
]


def text_fuzz(max_size: int = 24) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=max_size),
    )


def header_value_fuzz() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(NASTY_HEADER_VALUES),
        st.binary(max_size=48).map(header_safe),
        st.text(max_size=32).map(lambda s: header_safe(s.encode("utf-8", "surrogatepass"))),
        st.text(alphabet=st.sampled_from(HEADER_VALUE_BYTES.decode("latin-1")), max_size=40).map(
            lambda s: s.encode("latin-1")
        ),
    )


def valid_ids() -> st.SearchStrategy[str]:
    return st.text(alphabet=ID_CHARS, min_size=1, max_size=128)


def hex_str(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=_HEX, min_size=n, max_size=n)


@st.composite
def traceparents(draw: st.DrawFn) -> bytes:
    trace_id = draw(st.one_of(hex_str(32), st.just("0" * 32)))
    parent = draw(st.one_of(hex_str(16), st.just("0" * 16)))
    version = draw(st.sampled_from(["00", "00", "01", "cc", "ff", "0G"]))
    flags = draw(st.sampled_from(["00", "01", "02", "03", "ff", "zz"]))
    value = f"{version}-{trace_id}-{parent}-{flags}"
    mutate = draw(st.sampled_from(["none", "none", "suffix", "case", "ows", "cut", "fuzz"]))
    if mutate == "suffix":
        value += draw(st.sampled_from(["-", "-x", "x", "-" + "a" * 20]))
    elif mutate == "case":
        value = value.upper()
    elif mutate == "ows":
        value = f" \t{value}\t "
    elif mutate == "cut":
        value = value[: draw(st.integers(0, len(value) - 1))]
    elif mutate == "fuzz":
        return draw(header_value_fuzz())
    return value.encode("ascii")


def tracestates() -> st.SearchStrategy[bytes]:
    member = st.one_of(
        st.sampled_from(["vendor=value", "a@b=c", "k=v1", "x=", "=y", "K=v", "a=b=c", "a=\x7f"]),
        st.builds(
            lambda k, v: f"{k}={v}",
            st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True),
            st.text(alphabet=string.printable, max_size=10),
        ),
    )
    joined = st.lists(member, max_size=40).map(lambda ms: ",".join(ms).encode("utf-8"))
    return st.one_of(joined, header_value_fuzz())


# -- JSON bodies -----------------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    text_fuzz(),
)
json_values = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(text_fuzz(8), inner, max_size=4)
    ),
    max_leaves=12,
)


def encode_json(value: Any, ensure_ascii: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


def mutate_template(template: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """The template, with members dropped, replaced by fuzz or added."""

    @st.composite
    def mutated(draw: st.DrawFn) -> dict[str, Any]:
        doc = dict(template)
        for key in list(doc):
            action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "fuzz", "text"]))
            if action == "drop":
                del doc[key]
            elif action == "fuzz":
                doc[key] = draw(json_values)
            elif action == "text":
                doc[key] = draw(text_fuzz(64))
        if draw(st.booleans()):
            doc[draw(text_fuzz(8))] = draw(json_values)
        return doc

    return st.one_of(st.just(dict(template)), mutated())


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([63, 64, 65, 66, 100, 1000, 3000]))
    opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}"), (b'{"reason":', b"}")]))
    inner = opener * depth + b"1" + closer * depth
    shape = draw(st.sampled_from(["bare", "in_params", "unclosed", "in_string"]))
    if shape == "in_params":
        return b'{"reason": "deep", "params": ' + inner + b"}"
    if shape == "unclosed":
        return opener * depth
    if shape == "in_string":
        return b'{"reason": "' + b"[" * depth + b'", "params": {}}'
    return inner


HUGE_NUMBERS = [
    b"1" * 5000,
    b"-" + b"9" * 5000,
    b"1e999999",
    b"-1e-999999",
    b"0." + b"0" * 4000 + b"1",
    b'{"reason": "x", "params": {"n": ' + b"9" * 4300 + b"}}",
    b'{"reason": 1e400, "params": {}}',
    b'{"reason": "x", "params": {"services": [' + b"1" * 500 + b"]}}",
    b'{"reason": "x", "health_timeout_s": 1e308, "confirm": "a"}',
    b'{"reason": "x", "to_spec_version": 18446744073709551616, "confirm": "a"}',
]


@st.composite
def body_bytes(draw: st.DrawFn, templates: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """A request body: near-valid JSON, arbitrary JSON, deep nesting, huge numbers, bad
    encodings (invalid UTF-8, BOMs, UTF-16), control characters or plain binary."""
    choices: list[st.SearchStrategy[bytes]] = [
        st.just(b""),
        st.builds(encode_json, json_values, st.booleans()),
        deep_json(),
        st.sampled_from(HUGE_NUMBERS),
        st.binary(max_size=2048),
        st.sampled_from(
            [
                b"\xef\xbb\xbf{}",
                b'\xef\xbb\xbf{"reason": "x", "params": {}}',
                '{"reason": "x", "params": {}}'.encode("utf-16"),
                b'{"reason": "\xff\xfe", "params": {}}',
                b'{"reason": "\xed\xa0\x80", "params": {}}',
                b'{"reason": "\\ud800", "params": {}}',
                b'{"reason": "\\u0000", "params": {}}',
                b'{"reason": "a\x00b", "params": {}}',
                b'{"reason": "x", "reason": "y", "params": {}}',
                b'{"reason": "x", "params": {}',
                b'{"reason": "x", "params": {}}garbage',
                b"NaN",
                b"[1, 2, 3]",
                b"null",
                b"\x00" * 64,
                b"reason=x&params=1",
                b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--\r\n",
            ]
        ),
    ]
    if templates:
        template = st.sampled_from(list(templates)).flatmap(mutate_template)
        choices.append(st.builds(encode_json, template, st.booleans()))
        choices.append(st.builds(encode_json, template, st.booleans()))
    return draw(st.one_of(choices))


# -- paths -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. /admin/v1/jobs/{job_id}
    query: tuple[str, ...] = ()
    has_body: bool = False


def routes_of(openapi: Mapping[str, Any]) -> list[Route]:
    """Every operation of an OpenAPI document (`app.openapi_schema.to_schema()`)."""
    out = []
    for template, item in openapi.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                continue
            params = op.get("parameters", [])
            query = tuple(p["name"] for p in params if p.get("in") == "query")
            out.append(Route(method.upper(), template, query, "requestBody" in op))
    return sorted(out, key=lambda r: (r.template, r.method))


@st.composite
def path_segment(draw: st.DrawFn) -> str:
    """One raw path segment: literal target characters, %-escapes of any bytes (they decode to
    control characters, invalid UTF-8, slashes), or %-encoded unicode."""
    kind = draw(st.sampled_from(["text", "bytes", "raw", "nasty"]))
    if kind == "text":
        return percent_encode(draw(st.text(max_size=16)).encode("utf-8", "surrogatepass"))
    if kind == "bytes":
        return percent_encode(draw(st.binary(max_size=12)))
    if kind == "raw":
        return draw(st.text(alphabet=PATH_CHARS, max_size=16))
    return percent_encode(draw(st.sampled_from(NASTY_TEXT)).encode("utf-8"), safe="%./")


_PARAM = re.compile(r"\{([^}]+)\}")


@st.composite
def fill_template(
    draw: st.DrawFn, template: str, examples: Mapping[str, Sequence[str]], fuzz: bool = True
) -> str:
    """The template's parameters filled with known values or (when `fuzz`) raw segments."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        known = list(examples.get(name, ()))
        if known and (not fuzz or draw(st.booleans())):
            return quote(draw(st.sampled_from(known)), safe="/:@")
        return draw(path_segment())

    return _PARAM.sub(value, template)


@st.composite
def mutate_path(draw: st.DrawFn, path: str) -> str:
    how = draw(
        st.sampled_from(
            ["none", "none", "none", "slash", "double", "suffix", "segment", "escape", "case"]
        )
    )
    if how == "slash":
        return path + "/"
    if how == "double":
        return path.replace("/", "//", 1)
    if how == "suffix":
        return path + "/" + draw(path_segment())
    if how == "segment":
        parts = path.split("/")
        i = draw(st.integers(1, max(1, len(parts) - 1)))
        parts[i : i + 1] = [draw(path_segment())]
        return "/".join(parts)
    if how == "escape" and len(path) > 1:
        # The same path, one character percent-encoded: scope["path"] is equal, raw_path not.
        i = draw(st.integers(1, len(path) - 1))
        return path[:i] + f"%{ord(path[i]):02X}" + path[i + 1 :]
    if how == "case":
        return path.upper()
    return path


def random_paths() -> st.SearchStrategy[str]:
    segments = st.lists(path_segment(), min_size=0, max_size=6).map(lambda s: "/" + "/".join(s))
    # "" is the path of the target "?x"; "*" that of "OPTIONS *".
    odd = st.sampled_from(["", "*", "/", "//", "a", "/./", "/..", "/%2e%2e/", "/%2F", "/%00", "/~"])
    return st.one_of(segments, odd, st.text(alphabet=PATH_CHARS, min_size=1, max_size=40))


# -- queries ---------------------------------------------------------------------------------------


@st.composite
def query_strings(
    draw: st.DrawFn,
    names: Sequence[str] = (),
    examples: Mapping[str, Sequence[str]] | None = None,
    fuzz: bool = True,
) -> bytes:
    """A query string as a server delivers it: printable ASCII, any %-escapes. Without `fuzz`:
    none, or known values of the route's own parameters."""
    if not fuzz:
        known = [n for n in names if (examples or {}).get(n)]
        if not known or draw(st.booleans()):
            return b""
        chosen = draw(st.lists(st.sampled_from(known), min_size=1, max_size=3, unique=True))
        return "&".join(
            f"{n}={quote(draw(st.sampled_from(list((examples or {})[n]))), safe='')}"
            for n in chosen
        ).encode("ascii")
    kind = draw(st.sampled_from(["none", "params", "params", "raw"]))
    if kind == "none":
        return b""
    if kind == "raw":
        return draw(st.text(alphabet=TARGET_CHARS, max_size=60)).encode("ascii")
    pool = [*names, "limit", "cursor", "x", "", "%00"]
    pairs = []
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(pool))
        known = list((examples or {}).get(name, ()))
        if len(known) > 0 and draw(st.booleans()):
            val = quote(draw(st.sampled_from(known)), safe="")
        else:
            val = draw(path_segment())
        sep = draw(st.sampled_from(["=", "=", "", "=="]))
        pairs.append(f"{quote(name, safe='%')}{sep}{val}")
    return "&".join(pairs).encode("ascii")


# -- a whole request -------------------------------------------------------------------------------


@dataclass
class HostileRequest:
    method: str
    raw_path: bytes
    query_string: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunks: int = 1
    disconnect: bool = False  # the client leaves after the first chunk of the body
    route: Route | None = field(default=None, compare=False)
    auth: str = "none"  # the kind of credential sent (for the test's expectations)

    def __repr__(self) -> str:
        return (
            f"HostileRequest({self.method!r}, {self.raw_path!r}, query={self.query_string!r}, "
            f"auth={self.auth!r}, headers={self.headers!r}, body={self.body[:300]!r}"
            f"{'...' if len(self.body) > 300 else ''} ({len(self.body)} bytes), "
            f"chunks={self.chunks}{', then disconnects' if self.disconnect else ''})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis prints examples so
        printer.text(repr(self))

    def values(self, name: bytes) -> list[bytes]:
        return [v for k, v in self.headers if k == name]


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO", "get"]
CONTENT_TYPES = [
    b"application/json",
    b"application/json; charset=utf-8",
    b"application/json; charset=utf-16",
    b"application/json; charset=\xff",
    b"application/problem+json",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=b",
    b"multipart/form-data",
    b"text/plain",
    b"application/msgpack",
    b"*/*",
]
ACCEPTS = [b"application/json", b"text/html", b"*/*", b"application/problem+json", b"image/*;q=x"]
EXTRA_HEADER_NAMES = [
    b"cookie",
    b"origin",
    b"if-match",
    b"if-none-match",
    b"range",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"forwarded",
    b"user-agent",
    b"accept-encoding",
    b"accept-language",
    b"expect",
    b"upgrade",
    b"connection",
]


def _optional_header(
    draw: st.DrawFn, name: bytes, strategy: st.SearchStrategy[bytes], p_absent: float = 0.4
) -> list[tuple[bytes, bytes]]:
    """None, one or (rarely) two values of `name`."""
    how = draw(st.sampled_from(["absent"] * int(p_absent * 10) + ["one"] * 5 + ["two"]))
    if how == "absent":
        return []
    count = 1 if how == "one" else 2
    return [(name, header_safe(draw(strategy))) for _ in range(count)]


@st.composite
def hostile_requests(
    draw: st.DrawFn,
    routes: Sequence[Route],
    authorizations: Mapping[str, st.SearchStrategy[bytes] | None],
    *,
    valid_auth: Sequence[str] = ("admin",),
    path_examples: Mapping[str, Sequence[str]] | None = None,
    query_examples: Mapping[str, Sequence[str]] | None = None,
    body_templates: Callable[[Route], Sequence[Mapping[str, Any]]] | None = None,
    ui_paths: Sequence[str] = (),
) -> HostileRequest:
    """A request aimed at one of `routes`, at a random path or at a UI path, with fuzzed
    identity, auth and body headers.

    Half the requests are wild (most parts fuzzed), half nearly valid (a real route with known
    path values, a valid credential, ids, Idempotency-Key, JSON content type and a body from
    `body_templates`, with a part or two fuzzed), so the checks behind the first ones are
    reached too. `authorizations` maps a kind of credential ("admin", "garbage", ...) to a
    strategy for Authorization header values of that kind (None: no header); `valid_auth` are
    the kinds a nearly valid request uses.
    """
    path_examples = path_examples or {}
    # wild: most parts fuzzed; near: a part or two; body: a valid request to a route that takes
    # a body, with the body (and its content type) fuzzed.
    mode = draw(st.sampled_from(["wild", "wild", "near", "near", "body"]))
    odds = 7 if mode == "wild" else 1  # in ten: how often a part is fuzzed

    def wild() -> bool:
        return bool(draw(st.integers(0, 9)) < odds)

    aim = "route"
    if mode != "body" and wild():
        aim = draw(st.sampled_from(["route", "random"] + (["ui"] * 2 if ui_paths else [])))
    route: Route | None = None
    if aim == "route":
        with_body = [r for r in routes if r.has_body]
        route = draw(st.sampled_from(with_body if mode == "body" and with_body else list(routes)))
        path = draw(fill_template(route.template, path_examples, fuzz=wild()))
        if wild():
            path = draw(mutate_path(path))
        method = draw(st.sampled_from(METHODS)) if wild() and wild() else route.method
        query = draw(query_strings(route.query, query_examples, fuzz=wild()))
    elif aim == "ui":
        base = draw(st.sampled_from(list(ui_paths)))
        path = base if draw(st.booleans()) else draw(mutate_path(base))
        method = draw(st.sampled_from(["GET"] * 4 + METHODS))
        query = draw(query_strings())
    else:
        path = draw(random_paths())
        method = draw(st.sampled_from(METHODS))
        query = draw(query_strings())
    raw_path = path.encode("ascii")

    headers: list[tuple[bytes, bytes]] = []
    # h11 insists on exactly one Host header; Litestar refuses an invalid one before routing,
    # so a fuzzed host is rare lest it hide everything behind it.
    host = st.sampled_from([b"127.0.0.1:8080", b"control.example", b"[::1]:8080", b"localhost"])
    if draw(st.integers(0, 19)) == 0:
        host = header_value_fuzz()
    headers.append((b"host", header_safe(draw(host))))

    # Mostly a credential that gets past authentication: what is behind it is fuzzed too.
    any_kind = wild() and draw(st.booleans())
    kinds = sorted(authorizations) if any_kind else [k for k in valid_auth if k in authorizations]
    auth_kind = draw(st.sampled_from(kinds or sorted(authorizations)))
    credentials = authorizations[auth_kind]
    if credentials is not None:
        headers.append((b"authorization", header_safe(draw(credentials))))
        if draw(st.integers(0, 19)) == 0:  # a second Authorization header
            headers.append((b"authorization", draw(header_value_fuzz())))

    valid_id = valid_ids().map(lambda s: s.encode("ascii"))
    ids = valid_id | header_value_fuzz() if wild() else valid_id
    headers += _optional_header(draw, b"x-request-id", ids)
    headers += _optional_header(draw, b"x-correlation-id", ids)
    headers += _optional_header(draw, b"traceparent", traceparents())
    headers += _optional_header(draw, b"tracestate", tracestates(), p_absent=0.6)
    tenant = st.sampled_from([b"t1", b"acme", b"a" * 63])
    if wild():
        headers += _optional_header(draw, b"x-tenant-id", tenant | header_value_fuzz(), 0.6)
    elif draw(st.booleans()):
        headers.append((b"x-tenant-id", draw(tenant)))
    if wild():
        headers += _optional_header(draw, b"idempotency-key", valid_id | header_value_fuzz(), 0.3)
    else:
        headers.append((b"idempotency-key", draw(valid_id)))
    accept = st.sampled_from(ACCEPTS) | header_value_fuzz() if wild() else st.just(b"*/*")
    headers += _optional_header(draw, b"accept", accept, p_absent=0.5)
    for _ in range(draw(st.integers(0, 2)) if wild() else 0):
        name = draw(
            st.sampled_from(EXTRA_HEADER_NAMES)
            | st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12).map(str.encode)
        )
        if name not in (b"host", b"content-length", b"transfer-encoding"):
            headers.append((name, header_safe(draw(header_value_fuzz()))))

    templates = body_templates(route) if (body_templates and route) else ()
    body = b""
    if method in ("POST", "PUT", "PATCH", "DELETE") or draw(st.integers(0, 5)) == 0:
        if templates and mode != "body" and not wild():
            body = encode_json(draw(st.sampled_from(list(templates))), draw(st.booleans()))
        else:
            body = draw(body_bytes(templates))
    if (mode == "body" and draw(st.booleans())) or wild():
        ctype = st.sampled_from(CONTENT_TYPES) | header_value_fuzz()
        headers += _optional_header(draw, b"content-type", ctype, p_absent=0.2 if body else 0.7)
    elif body:
        headers.append((b"content-type", b"application/json"))
    # Framing as a server enforces it: a Content-Length that matches, or chunked without one.
    framing = draw(st.sampled_from(["length", "length", "length", "chunked"]))
    if framing == "chunked" and body:
        headers.append((b"transfer-encoding", b"chunked"))
    elif body or method in ("POST", "PUT", "PATCH") or draw(st.booleans()):
        headers.append((b"content-length", str(len(body)).encode()))
    if draw(st.booleans()):
        headers = draw(st.permutations(headers))
    chunks = draw(st.sampled_from([1, 1, 1, 2, 7])) if body else 1
    disconnect = chunks > 1 and draw(st.integers(0, 9)) == 0
    return HostileRequest(
        method, raw_path, query, list(headers), body, chunks, disconnect, route, auth_kind
    )
