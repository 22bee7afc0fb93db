"""A small parser for the Grafana Alloy configuration syntax (formerly River).

Alloy cannot be installed on the CI machine, so the tests parse config.alloy themselves: blocks
(`name "label" { ... }`), attributes (`key = expression`), comments and string literals. Attribute
expressions are kept as source text; the structure is validated against a JSON Schema and the
component references (`loki.process.x.receiver`) are resolved by the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
  | (?P<punct>==|!=|<=|>=|&&|\|\||[{}\[\]()=,.:+\-*/%<>!^])
    """,
    re.VERBOSE | re.DOTALL,
)


class AlloySyntaxError(ValueError):
    pass


@dataclass
class Token:
    kind: str
    text: str
    line: int


@dataclass
class Block:
    name: str
    label: str | None
    attrs: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "attrs": dict(self.attrs),
            "blocks": [b.to_json() for b in self.blocks],
        }


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    line = 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise AlloySyntaxError(f"line {line}: unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        value = m.group()
        if kind in ("nl", "string", "raw", "ident", "number", "punct"):
            tokens.append(Token(kind, value, line))
        line += value.count("\n")
        pos = m.end()
    tokens.append(Token("eof", "", line))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.i = 0

    def peek(self, skip_nl: bool = True) -> Token:
        j = self.i
        while skip_nl and self.t[j].kind == "nl":
            j += 1
        return self.t[j]

    def next(self, skip_nl: bool = True) -> Token:
        while skip_nl and self.t[self.i].kind == "nl":
            self.i += 1
        tok = self.t[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.next()
        if tok.text != text:
            raise AlloySyntaxError(f"line {tok.line}: expected {text!r}, got {tok.text!r}")
        return tok

    def body(self, top: bool) -> tuple[dict[str, str], list[Block]]:
        attrs: dict[str, str] = {}
        blocks: list[Block] = []
        while True:
            tok = self.peek()
            if tok.kind == "eof":
                if not top:
                    raise AlloySyntaxError(f"line {tok.line}: unexpected end of file in block")
                return attrs, blocks
            if tok.text == "}":
                if top:
                    raise AlloySyntaxError(f"line {tok.line}: unbalanced '}}'")
                self.next()
                return attrs, blocks
            name = self.next()
            if name.kind != "ident":
                raise AlloySyntaxError(f"line {name.line}: expected identifier, got {name.text!r}")
            after = self.peek(skip_nl=False)
            if after.text == "=":
                self.next(skip_nl=False)
                if name.text in attrs:
                    raise AlloySyntaxError(f"line {name.line}: duplicate attribute {name.text}")
                attrs[name.text] = self.expression()
                continue
            label = None
            if after.kind == "string":
                label = self.next(skip_nl=False).text[1:-1]
            self.expect("{")
            sub_attrs, sub_blocks = self.body(top=False)
            blocks.append(Block(name.text, label, sub_attrs, sub_blocks))

    def expression(self) -> str:
        depth = 0
        parts: list[str] = []
        while True:
            tok = self.t[self.i]
            if tok.kind == "eof":
                if depth:
                    raise AlloySyntaxError(f"line {tok.line}: unterminated expression")
                break
            if tok.kind == "nl" and depth == 0:
                break
            if tok.text == "}" and depth == 0:
                break
            self.i += 1
            if tok.kind == "nl":
                continue
            if tok.text in "([{":
                depth += 1
            elif tok.text in ")]}":
                depth -= 1
                if depth < 0:
                    raise AlloySyntaxError(f"line {tok.line}: unbalanced {tok.text!r}")
            parts.append(tok.text)
        if not parts:
            raise AlloySyntaxError(f"line {self.t[self.i].line}: empty expression")
        return " ".join(parts)


def parse(text: str) -> list[Block]:
    parser = _Parser(tokenize(text))
    attrs, blocks = parser.body(top=True)
    if attrs:
        raise AlloySyntaxError(f"top-level attributes are not allowed: {sorted(attrs)}")
    return blocks


_REFERENCE = re.compile(
    r"\b((?:discovery|loki|prometheus|otelcol)\.[a-z_.]+?)\.([a-z_0-9]+)\.([a-z_]+)\b"
)


def references(expr: str) -> list[tuple[str, str, str]]:
    """Component references in an expression: (component name, label, export)."""
    return _REFERENCE.findall(expr)
