"""From an operator's text to plain data, with findings instead of exceptions: parse (JSON, or
YAML where the domain allows it), keys given twice, values that look like secrets, and the
domain's schema (msgspec), each with a JSON pointer."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import yaml

from cloudlysis_control.config.model import Format
from cloudlysis_control.core.checks import Finding

_SECRET_KEY = re.compile(
    r"(?i)(passw(or)?d|passphrase|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|"
    r"credential|key[-_]?material|^key$|^keys$)"
)
_SECRET_VALUE = re.compile(
    r"(-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)|^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.|"
    r"^AKIA[0-9A-Z]{16}$|^gh[pousr]_[A-Za-z0-9]{30,}$|^xox[abpr]-)"
)
_SECRET_VALUE_FIRST = frozenset("-eAgx")
_MSGSPEC_PATH = re.compile(r"at `\$([^`]*)`")
_PATH_PART = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[\"?([^\]\"]*)\"?\]")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join(f"/{escape(str(t))}" for t in tokens)


class _Pairs(dict[str, Any]):
    """A JSON object that remembers the keys it was given more than once."""

    duplicates: list[str]


def _pairs_hook(marks: list[bool]) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        marked = _Pairs(obj)
        seen: set[str] = set()
        marked.duplicates = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
        marks.append(True)
        return marked

    return hook


class _ConfigYamlLoader(yaml.SafeLoader):
    """YAML as plain data only: no aliases (`*name` can expand a few hundred bytes into
    gigabytes, "billion laughs"; a config has no use for them), and mappings that remember keys
    given twice (as JSON objects do here) instead of keeping the last one silently."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a config", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        pairs = [
            (self.construct_object(k, deep=deep), self.construct_object(v, deep=deep))
            for k, v in node.value
        ]
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        marked = _Pairs(obj)
        seen: set[Any] = set()
        marked.duplicates = [str(k) for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
        return marked


def _construct_map(loader: _ConfigYamlLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    return loader.construct_mapping(node, deep=True)


_ConfigYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _parse_yaml(text: str, code_prefix: str) -> tuple[Any, list[Finding], list[tuple[str, ...]]]:
    try:
        data = yaml.load(text, Loader=_ConfigYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or "not valid YAML"
        finding = Finding(code=f"{code_prefix}.parse", pointer="", message=f"{problem}{where}")
        return None, [finding], []
    except (RecursionError, TypeError) as e:  # nested too deeply; an unhashable key ([a]: 1)
        message = "nested too deeply" if isinstance(e, RecursionError) else "a key is not a name"
        return None, [Finding(code=f"{code_prefix}.parse", pointer="", message=message)], []
    return data, [], duplicate_keys(data)


def parse_text(
    text: str, fmt: Format, code_prefix: str
) -> tuple[Any, list[Finding], list[tuple[str, ...]]]:
    """The document as plain data (None when it does not parse), the parse findings and the
    pointers (token tuples) of keys an object was given twice."""
    if fmt == "yaml":
        return _parse_yaml(text, code_prefix)
    marks: list[bool] = []
    try:
        data = json.loads(text, object_pairs_hook=_pairs_hook(marks))
    except json.JSONDecodeError as e:
        message = f"{e.msg} (line {e.lineno}, column {e.colno})"
        return None, [Finding(code=f"{code_prefix}.parse", pointer="", message=message)], []
    except RecursionError:
        finding = Finding(code=f"{code_prefix}.parse", pointer="", message="nested too deeply")
        return None, [finding], []
    return data, [], duplicate_keys(data) if marks else []


def duplicate_keys(value: Any, at: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Pointers (as token tuples) of every key an object was given twice."""
    found: list[tuple[str, ...]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, at)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Pairs):
            found += [(*path, k) for k in node.duplicates]
        if isinstance(node, dict):
            stack += [(v, (*path, str(k))) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, (*path, str(i))) for i, v in enumerate(node)]
    return sorted(found)


def _looks_secret_key(key: str, memo: dict[str, bool]) -> bool:
    found = memo.get(key)
    if found is None:
        found = memo[key] = bool(_SECRET_KEY.search(key))
    return found


def _looks_secret_value(value: str) -> bool:
    # Every pattern starts with one of these characters: skip the regex for the rest.
    return value[:1] in _SECRET_VALUE_FIRST and bool(_SECRET_VALUE.search(value))


def secrets(value: Any, id_maps: frozenset[str], code: str) -> list[Finding]:
    """Keys that name a secret and values that are key material; `id_maps` are the pointers of
    objects whose keys are identifiers (tenant ids, shard names), not field names."""
    found: list[Finding] = []
    memo: dict[str, bool] = {}
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            names_are_ids = path in id_maps
            for k, v in node.items():
                if not names_are_ids and _looks_secret_key(str(k), memo):
                    found.append(
                        Finding(
                            code=code,
                            pointer=f"{path}/{escape(str(k))}",
                            message=f"{str(k)[:60]!r} looks like a secret: secrets never enter "
                            "dynamic config (use the secret store and reference it)",
                        )
                    )
                elif isinstance(v, (dict, list)):
                    stack.append((v, f"{path}/{escape(str(k))}"))
                elif isinstance(v, str) and _looks_secret_value(v):
                    found.append(_secret_value(code, f"{path}/{escape(str(k))}"))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{path}/{i}"))
                elif isinstance(v, str) and _looks_secret_value(v):
                    found.append(_secret_value(code, f"{path}/{i}"))
        elif isinstance(node, str) and _looks_secret_value(node):
            found.append(_secret_value(code, path))
    return sorted(found, key=lambda f: f.pointer)


def _secret_value(code: str, at: str) -> Finding:
    return Finding(
        code=code,
        pointer=at,
        message="this value looks like key material or a token: secrets never enter dynamic config",
    )


def msgspec_pointer(message: str) -> str:
    """msgspec's "at `$.a[0].b`" as a JSON pointer ("/a/0/b")."""
    m = _MSGSPEC_PATH.search(message)
    if m is None:
        return ""
    tokens = [
        next(g for g in part if g) if any(part) else "" for part in _PATH_PART.findall(m.group(1))
    ]
    return pointer(*tokens)


def convert(value: Any, model: type[Any], code: str) -> tuple[Any, list[Finding]]:
    """The plain data as the domain's type, or a schema finding naming where it breaks."""
    try:
        return msgspec.convert(value, model, strict=True), []
    except msgspec.ValidationError as e:
        text = str(e)
        where = msgspec_pointer(text)
        clean = _MSGSPEC_PATH.sub("", text).strip(" -")
        return None, [Finding(code=code, pointer=where, message=clean[:300] or "invalid")]
