"""GraphQL for the fake Shopify store: parsing a query (operations, variables, arguments, aliases; no
fragments) into `Field`s, a field's arguments with variables substituted (`_Args`, with Shopify's rules for
`first`/`last`), the shapes of a selection (connections through `nodes` or `edges { node }`) and the errors
Shopify answers with (`GraphQLError`, ACCESS_DENIED)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_PAGE = 250

# ------------------------------------------------------------------------------------------------
# GraphQL: parsing


class GraphQLError(Exception):
    def __init__(self, message: str, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = dict(extensions)
        if code:
            self.extensions["code"] = code

    def as_json(self, path: Sequence[str] = ()) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if path:
            error["path"] = list(path)
        if self.extensions:
            error["extensions"] = self.extensions
        return error


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Field:
    name: str
    alias: str | None
    arguments: Mapping[str, Any]
    selections: tuple[Field, ...] | None

    @property
    def key(self) -> str:
        return self.alias or self.name

    def child(self, name: str) -> Field | None:
        for selection in self.selections or ():
            if selection.name == name:
                return selection
        return None


@dataclass(frozen=True)
class Operation:
    variables: Mapping[str, Any]  # declared name -> default value (None when none)
    selections: tuple[Field, ...]
    kind: str = "query"  # or "mutation"


_TOKEN = re.compile(
    r"""(?P<skip>[\s,\ufeff]+|\#[^\n]*)
      |(?P<spread>\.\.\.)
      |(?P<punct>[!$():=@\[\]{}|&])
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<string>"(?:[^"\\\n]|\\.)*")""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise GraphQLError(f"Parse error on {text[pos : pos + 10]!r} at character {pos}")
        kind = match.lastgroup or ""
        if kind != "skip":
            out.append((kind, match.group()))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("eof", "")

    def take(self, text: str | None = None, kind: str | None = None) -> str:
        token_kind, token = self.peek()
        if (text is not None and token != text) or (kind is not None and token_kind != kind):
            wanted = text or kind
            raise GraphQLError(f'Parse error on "{token or "end of query"}", expected {wanted}')
        self.pos += 1
        return token

    def skip(self, text: str) -> bool:
        if self.peek()[1] == text and self.peek()[0] != "string":
            self.pos += 1
            return True
        return False

    def operations(self) -> dict[str | None, Operation]:
        operations: dict[str | None, Operation] = {}
        while self.peek()[0] != "eof":
            name, operation = self.operation()
            operations[name] = operation
        if not operations:
            raise GraphQLError("Parse error: the query is empty")
        return operations

    def operation(self) -> tuple[str | None, Operation]:
        if self.peek()[1] == "{":
            return None, Operation({}, self.selection_set())
        keyword = self.take(kind="name")
        if keyword == "fragment":
            raise GraphQLError("This fake Shopify does not support fragments", "unsupported")
        if keyword not in ("query", "mutation"):
            raise GraphQLError(
                f"This fake Shopify only answers queries and mutations, not {keyword}", "unsupported"
            )
        name = self.take(kind="name") if self.peek()[0] == "name" else None
        variables: dict[str, Any] = {}
        if self.skip("("):
            while not self.skip(")"):
                self.take("$")
                var = self.take(kind="name")
                self.take(":")
                self.type_ref()
                variables[var] = self.value() if self.skip("=") else None
        return name, Operation(variables, self.selection_set(), keyword)

    def type_ref(self) -> None:
        if self.skip("["):
            self.type_ref()
            self.take("]")
        else:
            self.take(kind="name")
        self.skip("!")

    def selection_set(self) -> tuple[Field, ...]:
        self.take("{")
        fields: list[Field] = []
        while not self.skip("}"):
            if self.peek()[0] == "spread":
                raise GraphQLError("This fake Shopify does not support fragments", "unsupported")
            name = self.take(kind="name")
            alias = None
            if self.skip(":"):
                alias, name = name, self.take(kind="name")
            arguments: dict[str, Any] = {}
            if self.skip("("):
                while not self.skip(")"):
                    arg = self.take(kind="name")
                    self.take(":")
                    arguments[arg] = self.value()
            selections = self.selection_set() if self.peek()[1] == "{" else None
            fields.append(Field(name, alias, arguments, selections))
        if not fields:
            raise GraphQLError("Parse error: a selection set must not be empty")
        return tuple(fields)

    def value(self) -> Any:
        kind, token = self.peek()
        if kind == "punct" and token == "$":
            self.pos += 1
            return Var(self.take(kind="name"))
        if kind == "number":
            self.pos += 1
            return float(token) if any(c in token for c in ".eE") else int(token)
        if kind == "string":
            self.pos += 1
            return json.loads(token)
        if kind == "name":
            self.pos += 1
            return {"true": True, "false": False, "null": None}.get(token, token)
        if self.skip("["):
            items = []
            while not self.skip("]"):
                items.append(self.value())
            return items
        if self.skip("{"):
            obj = {}
            while not self.skip("}"):
                key = self.take(kind="name")
                self.take(":")
                obj[key] = self.value()
            return obj
        raise GraphQLError(f'Parse error on "{token or "end of query"}", expected a value')


def parse_query(text: str, operation_name: str | None = None) -> Operation:
    operations = _Parser(text).operations()
    if operation_name is not None:
        if operation_name not in operations:
            raise GraphQLError(f'No operation named "{operation_name}"')
        return operations[operation_name]
    if len(operations) > 1:
        raise GraphQLError("An operation name is required when the query has several operations")
    return next(iter(operations.values()))


class _Args:
    """A field's arguments with variables substituted."""

    def __init__(self, field: Field, operation: Operation, variables: Mapping[str, Any]) -> None:
        self.field = field
        self.operation = operation
        self.variables = variables

    def get(self, name: str, default: Any = None) -> Any:
        if name not in self.field.arguments:
            return default
        return self._resolve(self.field.arguments[name], default)

    def _resolve(self, raw: Any, default: Any) -> Any:
        if isinstance(raw, Var):
            if raw.name not in self.operation.variables:
                raise GraphQLError(f"Variable ${raw.name} is used by the query but not declared")
            value = self.variables.get(raw.name, self.operation.variables[raw.name])
            return default if value is None else value
        if isinstance(raw, list):
            return [self._resolve(item, None) for item in raw]
        if isinstance(raw, dict):
            return {key: self._resolve(item, None) for key, item in raw.items()}
        return raw

    def count(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise GraphQLError(
                f"Argument '{name}' on Field '{self.field.name}' must be an integer",
                "argumentLiteralsIncompatible",
            )
        if not 0 <= value <= MAX_PAGE:
            raise GraphQLError(
                f"The '{name}' argument must be between 0 and {MAX_PAGE} (got {value})", "BAD_REQUEST"
            )
        return value

    def page_size(self) -> tuple[int, bool]:
        """(how many, from the end) for a connection; Shopify insists on first or last."""
        first, last = self.count("first"), self.count("last")
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last", "BAD_REQUEST")
        if first is not None and last is not None:
            raise GraphQLError("providing both first and last is not supported", "BAD_REQUEST")
        return (first, False) if first is not None else (last or 0, True)


def _is_connection(field: Field) -> bool:
    return any(s.name in ("nodes", "edges") for s in field.selections or ())


def _node_selections(field: Field) -> tuple[Field, ...]:
    nodes = field.child("nodes")
    if nodes is not None:
        return nodes.selections or ()
    edges = field.child("edges")
    node = edges.child("node") if edges is not None else None
    return (node.selections or ()) if node is not None else ()


def _access_denied(field: str, scope: str) -> GraphQLError:
    return GraphQLError(
        f"Access denied for {field} field. Required access: `{scope}` access scope.",
        "ACCESS_DENIED",
        documentation="https://shopify.dev/api/usage/access-scopes",
        requiredAccess=f"`{scope}` access scope.",
    )


def _child_path(field: Field | None, *names: str) -> Field | None:
    """The selection reached by `names` below `field` (through nodes or edges { node } of a connection)."""
    for name in names:
        if field is None:
            return None
        if _is_connection(field):
            field = next((f for f in _node_selections(field) if f.name == name), None)
        else:
            field = field.child(name)
    return field
