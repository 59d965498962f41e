"""The value model of statically evaluated Elixir terms.

Every value knows where it was written (file and span) and the condition it sits under when the
evaluator could not decide that condition for prod (`conditional`, the condition's source text).
A value is one of three kinds: a literal (scalars, atoms, charlists and the containers below), an
environment reference (`EnvRef`), or an expression we do not evaluate (`Unknown`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from flylint.findings import Location
from flylint.lazyre import lazy
from flylint.records import record

Scalar = str | int | float | bool | None


# Values are immutable by contract but not frozen: the evaluator builds hundreds per app and a
# frozen __init__ costs several times a plain one. They hash and compare by value.
@record(unsafe_hash=True, kw_only=True)
class Value:
    file: str = ""
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    conditional: str | None = None  # source text of an undecided condition guarding this value

    kind: ClassVar[str] = "literal"

    def location(self, label: str = "") -> Location:
        return Location(
            self.file,
            max(self.line, 1),
            max(self.column, 1),
            max(self.end_line, 1),
            max(self.end_column, 1),
            label,
        )


@record(unsafe_hash=True)
class Literal(Value):
    """A string, integer, float, boolean or nil (None)."""

    value: Scalar


@record(unsafe_hash=True)
class Atom(Value):
    """An atom other than true/false/nil; modules are spelled "Elixir.Foo.Bar"."""

    name: str

    @property
    def is_module(self) -> bool:
        return self.name.startswith("Elixir.")

    @property
    def module(self) -> str:
        """The module name without the Elixir. prefix (atoms are returned as-is)."""
        return self.name[7:] if self.is_module else self.name


@record(unsafe_hash=True)
class Charlist(Value):
    text: str


@record(unsafe_hash=True)
class ListValue(Value):
    items: tuple[Value, ...] = ()


@record(unsafe_hash=True)
class TupleValue(Value):
    items: tuple[Value, ...] = ()


@record(unsafe_hash=True)
class MapValue(Value):
    pairs: tuple[tuple[Value, Value], ...] = ()


@record(unsafe_hash=True)
class KeywordList(Value):
    """An ordered keyword list; keys are atom names ("force_ssl", "Elixir.MyApp.Repo").
    Duplicate keys are kept, as Elixir keeps them; `get` returns the first, as Keyword.get does."""

    entries: tuple[tuple[str, Value], ...] = ()

    def get(self, key: str) -> Value | None:
        for k, v in self.entries:
            if k == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [k for k, _ in self.entries]

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self.entries)


@record(unsafe_hash=True)
class EnvRef(Value):
    """`System.get_env("NAME") || default`, `System.fetch_env!("NAME")`, ...

    `cast` names a conversion applied to the variable's text (`integer`, `float`, `atom`,
    `existing_atom`, `boolean`, `charlist`); `default` is already converted. `required` is true
    when a missing variable raises (fetch_env!, `|| raise ...`)."""

    name: str
    default: Value | None = None
    required: bool = False
    cast: str | None = None

    kind: ClassVar[str] = "env"


@record(unsafe_hash=True)
class Unknown(Value):
    """An expression the evaluator does not compute; `source_text` is how it was written.
    `path` is set when the expression is a file path we could resolve project-relative (used by
    import_config; the real value would be an absolute path on the build machine)."""

    source_text: str
    path: str | None = None

    kind: ClassVar[str] = "unknown"


CONTAINERS = (ListValue, TupleValue, MapValue, KeywordList)


def truthy(value: Value | None) -> bool | None:
    """Elixir truthiness (only nil and false are falsy); None when it cannot be known."""
    if value is None:
        return None
    if isinstance(value, Literal):
        return value.value is not None and value.value is not False
    if isinstance(value, (Atom, Charlist, *CONTAINERS)):
        return True
    return None


def is_keyword(value: Value) -> bool:
    """Keyword.keyword?/1 as far as can be known statically (the empty list is a keyword list)."""
    if isinstance(value, KeywordList):
        return True
    return isinstance(value, ListValue) and not value.items


def is_fully_literal(value: Value, _limit: int = 10_000) -> bool:
    """True when value and everything inside it is literal (no env refs or unknowns)."""
    stack = [value]
    seen = 0
    while stack:
        v = stack.pop()
        seen += 1
        if seen > _limit or v.kind != "literal":
            return False
        stack.extend(children(v))
    return True


def children(value: Value) -> list[Value]:
    if isinstance(value, (ListValue, TupleValue)):
        return list(value.items)
    if isinstance(value, KeywordList):
        return [v for _, v in value.entries]
    if isinstance(value, MapValue):
        return [x for pair in value.pairs for x in pair]
    if isinstance(value, EnvRef) and value.default is not None:
        return [value.default]
    return []


def with_condition(value: Value, condition: str | None, _depth: int = 0) -> Value:
    """Mark value (and what it contains) as guarded by condition.

    A part already marked with this condition, or with an outer part of it (conditions nest as
    "outer and inner"), takes the more specific text; other marks are joined with "and"."""
    if condition is None:
        return value
    own = value.conditional
    if own is None or own == condition or condition.startswith(own + " and "):
        cond = condition
    elif own.startswith(condition + " and "):
        cond = own
    else:
        cond = f"{condition} and {own}"
    if _depth > 64:
        return replace(value, conditional=cond)
    d = _depth + 1
    if isinstance(value, (ListValue, TupleValue)):
        items = tuple(with_condition(v, condition, d) for v in value.items)
        return replace(value, conditional=cond, items=items)
    if isinstance(value, KeywordList):
        entries = tuple((k, with_condition(v, condition, d)) for k, v in value.entries)
        return replace(value, conditional=cond, entries=entries)
    if isinstance(value, MapValue):
        pairs = tuple(
            (with_condition(k, condition, d), with_condition(v, condition, d))
            for k, v in value.pairs
        )
        return replace(value, conditional=cond, pairs=pairs)
    if isinstance(value, EnvRef) and value.default is not None:
        return replace(value, conditional=cond, default=with_condition(value.default, condition, d))
    return replace(value, conditional=cond)


def to_python(value: Value | None, _depth: int = 0) -> object:
    """A plain-Python rendering for tests and debugging: atoms become ":name", keyword lists
    lists of (key, value) pairs, env refs and unknowns stay as their objects."""
    if value is None or _depth > 200:
        return None
    d = _depth + 1
    if isinstance(value, Literal):
        return value.value
    if isinstance(value, Atom):
        return ":" + value.name
    if isinstance(value, Charlist):
        return value.text
    if isinstance(value, ListValue):
        return [to_python(v, d) for v in value.items]
    if isinstance(value, TupleValue):
        return tuple(to_python(v, d) for v in value.items)
    if isinstance(value, KeywordList):
        return [(k, to_python(v, d)) for k, v in value.entries]
    if isinstance(value, MapValue):
        return [(to_python(k, d), to_python(v, d)) for k, v in value.pairs]
    return value


_PLAIN_ATOM = lazy(r"[a-z_][a-zA-Z0-9_@]*[?!]?")
_PLAIN_MODULE = lazy(r"[A-Z][a-zA-Z0-9_]*(\.[A-Z][a-zA-Z0-9_]*)*")
_CAST_FUNCTIONS = {
    "integer": "String.to_integer",
    "float": "String.to_float",
    "atom": "String.to_atom",
    "existing_atom": "String.to_existing_atom",
    "charlist": "String.to_charlist",
}


def elixir_text(value: Value | None, limit: int = 120) -> str:
    """A value as Elixir source, for messages: `[rewrite_on: [:x_forwarded_proto]]`,
    `System.get_env("PORT") || "4000"`. Cut at limit characters."""
    text = _text(value, 0)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t").replace("#{", "\\#{") + '"'


def _atom_text(name: str) -> str:
    if name.startswith("Elixir.") and _PLAIN_MODULE.fullmatch(name[7:]):
        return name[7:]
    return ":" + name if _PLAIN_ATOM.fullmatch(name) else ":" + _quote(name)


def _key_text(key: str) -> str:
    return f"{key}:" if _PLAIN_ATOM.fullmatch(key) else f"{_quote(key)}:"


def _text(value: Value | None, depth: int) -> str:
    if value is None:
        return "nil"
    if depth > 20:
        return "…"
    d = depth + 1
    if isinstance(value, Literal):
        v = value.value
        if v is None:
            return "nil"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return _quote(v)
        return repr(v)
    if isinstance(value, Atom):
        return _atom_text(value.name)
    if isinstance(value, Charlist):
        return "~c" + _quote(value.text)
    if isinstance(value, KeywordList):
        return "[" + ", ".join(f"{_key_text(k)} {_text(v, d)}" for k, v in value.entries) + "]"
    if isinstance(value, ListValue):
        return "[" + ", ".join(_text(v, d) for v in value.items) + "]"
    if isinstance(value, TupleValue):
        return "{" + ", ".join(_text(v, d) for v in value.items) + "}"
    if isinstance(value, MapValue):
        return "%{" + ", ".join(f"{_text(k, d)} => {_text(v, d)}" for k, v in value.pairs) + "}"
    if isinstance(value, EnvRef):
        fetch = "fetch_env!" if value.required and value.default is None else "get_env"
        text = f"System.{fetch}({_quote(value.name)})"
        if value.default is not None:
            default = value.default
            raw_default = isinstance(default, Atom) or (
                isinstance(default, Literal) and isinstance(default.value, (str, int, float))
            )
            if value.cast is not None and raw_default:
                # the default is stored converted; show it as the text it was converted from
                raw = default.name if isinstance(default, Atom) else default.value  # type: ignore[attr-defined]
                text += f" || {_quote(str(raw))}"
            else:
                text += f" || {_text(default, d)}"
        if value.cast in _CAST_FUNCTIONS:
            text = f"{_CAST_FUNCTIONS[value.cast]}({text})"
        return text
    if isinstance(value, Unknown):
        return " ".join(value.source_text.split())
    return "?"
