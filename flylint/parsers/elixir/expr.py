"""Static evaluation of Elixir expressions into `values` (shared by config, endpoint, router and
mix.exs readers).

It computes literals, containers, module attributes, variables bound earlier in the same scope,
`System.get_env`-style environment references and the conditions a config file branches on; any
other expression becomes `Unknown` with its source text. Conditions it cannot decide for the
target environment run both branches, marking what they produce with the condition's text.

Recursion is capped (`MAX_DEPTH`): deeper expressions degrade to `Unknown`, so a file nested
thousands of levels deep cannot exhaust the Python stack.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import field, replace

from flylint.parsers.elixir.syntax import (
    Node,
    ParsedElixir,
    call_args,
    call_name,
    do_block,
    named,
)
from flylint.parsers.elixir.values import (
    Atom,
    Charlist,
    EnvRef,
    KeywordList,
    ListValue,
    Literal,
    MapValue,
    TupleValue,
    Unknown,
    Value,
    is_fully_literal,
    truthy,
    with_condition,
)
from flylint.records import record

MAX_DEPTH = 80  # nesting levels evaluated before giving up (each level costs a few frames)
MAX_SOURCE_TEXT = 400  # Unknown.source_text is cut here
MAX_ITERATIONS = 64  # `for` comprehensions evaluated element by element up to this many

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "s": " ",
    "e": "\x1b",
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "d": "\x7f",
    "f": "\f",
    "v": "\v",
}
_CASTS = {
    "String.to_integer": "integer",
    "String.to_float": "float",
    "String.to_atom": "atom",
    "String.to_existing_atom": "existing_atom",
    "String.to_charlist": "charlist",
}
_DOTENVY_TYPES = {
    "integer",
    "float",
    "boolean",
    "atom",
    "existing_atom",
    "charlist",
    "module",
    "string",
}


@record
class FileCtx:
    """Per-file state: the parsed file, its directory (project-relative) and what it declares."""

    parsed: ParsedElixir
    dir: str
    aliases: dict[str, str] = field(default_factory=dict)  # "Repo" -> "MyApp.Repo"
    attrs: dict[str, Value] = field(default_factory=dict)  # module attributes defined so far
    imports: set[str] = field(default_factory=set)


@record
class Scope:
    """Variables visible at a point, and the undecided condition guarding that point."""

    vars: dict[str, Value] = field(default_factory=dict)
    conditional: str | None = None

    def child(self, condition: str | None = None) -> Scope:
        cond = self.conditional
        if condition is not None:
            cond = condition if cond is None else f"{cond} and {condition}"
        return Scope(dict(self.vars), cond)


def squash(text: str, limit: int = 200) -> str:
    """Source text on one line, cut at limit characters (used for condition texts)."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def decode_escape(seq: str) -> str:
    """The character(s) an Elixir escape sequence (with its backslash) stands for."""
    body = seq[1:]
    if not body:
        return "\\"
    if body[0] in _ESCAPES and len(body) == 1:
        return _ESCAPES[body[0]]
    if body[0] in "xu" and len(body) > 1:
        digits = body[1:].strip("{}")
        try:
            return chr(int(digits, 16))
        except (ValueError, OverflowError):
            return body
    if body[0] == "\n":  # line continuation
        return ""
    return body


def parse_integer(text: str) -> int | None:
    t = text.replace("_", "")
    try:
        if len(t) > 2 and t[0] == "0" and t[1] in "xob":
            return int(t, 0)
        return int(t, 10)
    except ValueError:
        return None


def dedent_heredoc(text: str, indent: int) -> str:
    """Elixir heredoc content: drop the first newline and strip the closing delimiter's indent."""
    if text.startswith("\n"):
        text = text[1:]
    lines = text.split("\n")
    out = []
    for line in lines:
        strip = 0
        while strip < indent and strip < len(line) and line[strip] in " \t":
            strip += 1
        out.append(line[strip:])
    return "\n".join(out)


def to_text(value: Value) -> str | None:
    """Kernel.to_string/1 for the values where it is certain; None otherwise."""
    if isinstance(value, Literal):
        v = value.value
        if isinstance(v, str):
            return v
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        return None  # floats print differently in Elixir; do not guess
    if isinstance(value, Atom):
        return value.name
    if isinstance(value, Charlist):
        return value.text
    return None


def comparable(value: Value) -> object | None:
    """A hashable key equal for equal Elixir terms (==), or None when not fully known."""
    if not is_fully_literal(value):
        return None
    return _key(value, 0)


def _key(value: Value, depth: int) -> object:
    if depth > 50:
        return object()
    if isinstance(value, Literal):
        v = value.value
        if isinstance(v, bool) or v is None:
            return ("atom", {True: "true", False: "false", None: "nil"}[v])
        if isinstance(v, (int, float)):
            return ("num", float(v))
        return ("str", v)
    if isinstance(value, Atom):
        return ("atom", value.name)
    if isinstance(value, Charlist):
        return ("list", tuple(("num", float(ord(c))) for c in value.text))
    if isinstance(value, ListValue):
        return ("list", tuple(_key(v, depth + 1) for v in value.items))
    if isinstance(value, KeywordList):
        return (
            "list",
            tuple(("tuple", (("atom", k), _key(v, depth + 1))) for k, v in value.entries),
        )
    if isinstance(value, TupleValue):
        return ("tuple", tuple(_key(v, depth + 1) for v in value.items))
    if isinstance(value, MapValue):
        return ("map", frozenset((_key(k, depth + 1), _key(v, depth + 1)) for k, v in value.pairs))
    return object()


def pair_tuple(key: str, value: Value) -> TupleValue:
    """The {key, value} tuple a keyword entry stands for, positioned at the value."""
    pos = {
        "file": value.file,
        "line": value.line,
        "column": value.column,
        "end_line": value.end_line,
        "end_column": value.end_column,
        "conditional": value.conditional,
    }
    return TupleValue((Atom(key, **pos), value), **pos)


class Evaluator:
    """Evaluates expressions of one or more parsed files for a given Mix env and target.

    Subclasses add statements (config/import_config, plug, pipeline...) by overriding
    `call_hook`; `compile_env` lets routers and endpoints read the compile-time config."""

    def __init__(
        self,
        env: str = "prod",
        target: str = "host",
        *,
        cwd: str = ".",
        glob: Callable[[str], list[str]] | None = None,
        compile_env: Callable[[str, tuple[str, ...]], Value | None] | None = None,
    ) -> None:
        self.env = env
        self.target = target
        self.cwd = cwd  # project-relative directory Mix runs in (the mix root)
        self.glob = glob
        self.compile_env = compile_env
        self.local_functions: dict[str, Node] = {}  # zero-arity def/defp bodies (mix.exs)
        self._calling: set[str] = set()

    # ----------------------------------------------------------------- helpers

    def mk(self, cls: type, node: Node, fc: FileCtx, scope: Scope, *args, **kw) -> Value:
        line, col, eline, ecol = fc.parsed.span(node)
        return cls(
            *args,
            file=fc.parsed.path,
            line=line,
            column=col,
            end_line=eline,
            end_column=ecol,
            conditional=scope.conditional,
            **kw,
        )

    def unknown(self, node: Node, fc: FileCtx, scope: Scope, path: str | None = None) -> Unknown:
        text = fc.parsed.text(node)
        if len(text) > MAX_SOURCE_TEXT:
            text = text[: MAX_SOURCE_TEXT - 1] + "…"
        return self.mk(Unknown, node, fc, scope, text, path=path)  # type: ignore[return-value]

    def at(self, value: Value, node: Node, fc: FileCtx, scope: Scope) -> Value:
        """value re-positioned to node (where it is used), under the scope's condition."""
        line, col, eline, ecol = fc.parsed.span(node)
        moved = replace(
            value, file=fc.parsed.path, line=line, column=col, end_line=eline, end_column=ecol
        )
        return with_condition(moved, scope.conditional)

    def cond_text(self, node: Node, fc: FileCtx) -> str:
        return squash(fc.parsed.text(node))

    # ----------------------------------------------------------------- blocks

    def block_nodes(self, block: Node | None) -> list[Node]:
        """Statements of a do_block/else_block/body/stab body, without keywords and blocks."""
        if block is None:
            return []
        out = []
        for child in block.named_children:
            if child.type in ("comment", "else_block", "after_block", "rescue_block"):
                continue
            if child.type in ("catch_block", "stab_clause"):
                continue
            out.append(child)
        return out

    def else_nodes(self, block: Node | None) -> list[Node]:
        if block is None:
            return []
        for child in block.named_children:
            if child.type == "else_block":
                return self.block_nodes(child)
        return []

    def run_block(self, nodes: Iterable[Node], fc: FileCtx, scope: Scope, depth: int) -> Value:
        """Evaluate statements in order; the block's value is the last one (nil when empty)."""
        last: Value | None = None
        for stmt in nodes:
            if stmt.type == "ERROR":
                # Statements tree-sitter could not attach still count: evaluate what is inside.
                last = self.run_block(named(stmt), fc, scope, depth + 1)
                continue
            last = self.ev(stmt, fc, scope, depth)
        return last if last is not None else Literal(None, file=fc.parsed.path)

    # ----------------------------------------------------------------- expressions

    def ev(self, node: Node, fc: FileCtx, scope: Scope, depth: int = 0) -> Value:
        if depth > MAX_DEPTH:
            return self.unknown(node, fc, scope)
        d = depth + 1
        t = node.type
        if t == "integer":
            n = parse_integer(fc.parsed.text(node))
            return (
                self.unknown(node, fc, scope) if n is None else self.mk(Literal, node, fc, scope, n)
            )
        if t == "float":
            try:
                f = float(fc.parsed.text(node).replace("_", ""))
            except ValueError:
                return self.unknown(node, fc, scope)
            return self.mk(Literal, node, fc, scope, f)
        if t == "string":
            text = self.quoted_text(node, fc, scope, d)
            if text is None:
                return self.unknown(node, fc, scope)
            return self.mk(Literal, node, fc, scope, text)
        if t == "charlist":
            text = self.quoted_text(node, fc, scope, d)
            if text is None:
                return self.unknown(node, fc, scope)
            return self.mk(Charlist, node, fc, scope, text)
        if t == "atom":
            return self.atom_value(fc.parsed.text(node)[1:], node, fc, scope)
        if t == "quoted_atom":
            text = self.quoted_text(node, fc, scope, d)
            if text is None:
                return self.unknown(node, fc, scope)
            return self.atom_value(text, node, fc, scope, quoted=True)
        if t == "alias":
            return self.mk(Atom, node, fc, scope, "Elixir." + self.resolve_alias(node, fc))
        if t == "boolean":
            return self.mk(Literal, node, fc, scope, fc.parsed.text(node) == "true")
        if t == "nil":
            return self.mk(Literal, node, fc, scope, None)
        if t == "char":
            return self.char_value(node, fc, scope)
        if t == "list":
            return self.list_value(node, fc, scope, d)
        if t == "tuple":
            items = self.items(named(node), fc, scope, d)
            return self.mk(TupleValue, node, fc, scope, tuple(items))
        if t == "keywords":
            return self.mk(KeywordList, node, fc, scope, tuple(self.pairs(node, fc, scope, d)))
        if t == "map":
            return self.map_value(node, fc, scope, d)
        if t == "sigil":
            return self.sigil_value(node, fc, scope, d)
        if t == "identifier":
            return self.identifier(node, fc, scope, d)
        if t == "unary_operator":
            return self.unary(node, fc, scope, d)
        if t == "binary_operator":
            return self.binary(node, fc, scope, d)
        if t == "call":
            return self.call(node, fc, scope, d)
        if t == "block":
            return self.run_block(named(node), fc, scope, d)
        if t == "access_call":
            return self.access(node, fc, scope, d)
        return self.unknown(node, fc, scope)

    def atom_value(
        self, name: str, node: Node, fc: FileCtx, scope: Scope, quoted: bool = False
    ) -> Value:
        if not quoted and name in ("true", "false"):
            return self.mk(Literal, node, fc, scope, name == "true")
        if not quoted and name == "nil":
            return self.mk(Literal, node, fc, scope, None)
        return self.mk(Atom, node, fc, scope, name)

    def resolve_alias(self, node: Node, fc: FileCtx) -> str:
        text = "".join(fc.parsed.text(node).split())
        if text.startswith("Elixir."):
            return text[7:]
        head, _, rest = text.partition(".")
        full = fc.aliases.get(head)
        if full is None:
            return text
        return f"{full}.{rest}" if rest else full

    def char_value(self, node: Node, fc: FileCtx, scope: Scope) -> Value:
        body = fc.parsed.text(node)[1:]
        ch = decode_escape(body) if body.startswith("\\") and len(body) > 1 else body
        if len(ch) != 1:
            return self.unknown(node, fc, scope)
        return self.mk(Literal, node, fc, scope, ord(ch))

    def quoted_text(
        self, node: Node, fc: FileCtx, scope: Scope, depth: int, escapes: bool = True
    ) -> str | None:
        """The content of a string/charlist/quoted atom/sigil, or None if an interpolation is
        not a known literal."""
        parts: list[str] = []
        heredoc = False
        closing: Node | None = None
        for child in node.children:
            ct = child.type
            if ct == "quoted_content":
                parts.append(fc.parsed.text(child))
            elif ct == "escape_sequence":
                raw = fc.parsed.text(child)
                parts.append(decode_escape(raw) if escapes else raw)
            elif ct == "interpolation":
                inner = list(named(child))
                if len(inner) != 1:
                    return None
                text = to_text(self.ev(inner[0], fc, scope, depth))
                if text is None:
                    return None
                parts.append(text)
            elif not child.is_named and ct in ('"""', "'''"):
                heredoc = True
                closing = child
        text = "".join(parts)
        if heredoc and closing is not None:
            indent = closing.start_point[1]  # bytes; delimiters are indented with spaces
            text = dedent_heredoc(text, indent)
        return text

    def items(self, nodes: Iterable[Node], fc: FileCtx, scope: Scope, depth: int) -> list[Value]:
        """Tuple elements; trailing keywords (`{:a, b: 1}`) are one keyword-list element."""
        return [self.ev(n, fc, scope, depth) for n in nodes]

    def keyword_key(self, key_node: Node, fc: FileCtx, scope: Scope, depth: int) -> str | None:
        if key_node.type == "keyword":
            return fc.parsed.text(key_node).rstrip()[:-1].rstrip()
        if key_node.type == "quoted_keyword":
            return self.quoted_text(key_node, fc, scope, depth)
        return None

    def pairs(
        self, keywords: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> list[tuple[str, Value]]:
        out: list[tuple[str, Value]] = []
        for pair in named(keywords):
            if pair.type != "pair":
                continue
            key_node = pair.child_by_field_name("key")
            value_node = pair.child_by_field_name("value")
            if key_node is None or value_node is None:
                continue
            key = self.keyword_key(key_node, fc, scope, depth)
            if key is None:
                continue
            out.append((key, self.ev(value_node, fc, scope, depth)))
        return out

    def make_list(self, node: Node, items: list[Value], fc: FileCtx, scope: Scope) -> Value:
        """A list value; lists of {atom, value} pairs are keyword lists, as in Elixir."""
        if items and all(
            isinstance(i, TupleValue) and len(i.items) == 2 and isinstance(i.items[0], Atom)
            for i in items
        ):
            entries = tuple((i.items[0].name, i.items[1]) for i in items)  # type: ignore[attr-defined]
            return self.mk(KeywordList, node, fc, scope, entries)
        return self.mk(ListValue, node, fc, scope, tuple(items))

    def list_value(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        items: list[Value] = []
        pairs: list[tuple[str, Value]] = []
        for child in named(node):
            if child.type == "keywords":
                pairs.extend(self.pairs(child, fc, scope, depth))
            elif child.type == "binary_operator" and self.operator(child, fc) == "|":
                return self.unknown(node, fc, scope)
            else:
                items.append(self.ev(child, fc, scope, depth))
        if not items and pairs:
            return self.mk(KeywordList, node, fc, scope, tuple(pairs))
        items.extend(pair_tuple(k, v) for k, v in pairs)  # [1, a: 2] is [1, {:a, 2}]
        return self.make_list(node, items, fc, scope)

    def map_value(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        pairs: list[tuple[Value, Value]] = []
        for child in named(node):
            if child.type == "struct":
                return self.unknown(node, fc, scope)
            if child.type != "map_content":
                continue
            for item in named(child):
                if item.type == "keywords":
                    for pair in named(item):
                        key_node = pair.child_by_field_name("key")
                        value_node = pair.child_by_field_name("value")
                        if key_node is None or value_node is None:
                            continue
                        key = self.keyword_key(key_node, fc, scope, depth)
                        if key is None:
                            return self.unknown(node, fc, scope)
                        k = self.mk(Atom, key_node, fc, scope, key)
                        pairs.append((k, self.ev(value_node, fc, scope, depth)))
                elif item.type == "binary_operator" and self.operator(item, fc) == "=>":
                    left = item.child_by_field_name("left")
                    right = item.child_by_field_name("right")
                    if left is None or right is None:
                        return self.unknown(node, fc, scope)
                    pairs.append(
                        (self.ev(left, fc, scope, depth), self.ev(right, fc, scope, depth))
                    )
                else:
                    return self.unknown(node, fc, scope)  # map update %{m | k: v}, or odd
        return self.mk(MapValue, node, fc, scope, tuple(pairs))

    def sigil_value(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        name_node = next((c for c in node.named_children if c.type == "sigil_name"), None)
        if name_node is None:
            return self.unknown(node, fc, scope)
        name = fc.parsed.text(name_node)
        mods_node = next((c for c in node.named_children if c.type == "sigil_modifiers"), None)
        mods = fc.parsed.text(mods_node) if mods_node is not None else ""
        lower = name.islower()
        if name not in ("s", "S", "c", "C", "w", "W"):
            return self.unknown(node, fc, scope)  # ~r, ~D, ~U, custom sigils
        if lower:
            text = self.quoted_text(node, fc, scope, depth)
        else:
            text = self.quoted_text(node, fc, scope, depth, escapes=False)
        if text is None:
            return self.unknown(node, fc, scope)
        if name in ("s", "S"):
            return self.mk(Literal, node, fc, scope, text)
        if name in ("c", "C"):
            return self.mk(Charlist, node, fc, scope, text)
        words = text.split()
        mod = mods[-1:] if mods else "s"
        if mod == "a":
            items: list[Value] = [self.mk(Atom, node, fc, scope, w) for w in words]
        elif mod == "c":
            items = [self.mk(Charlist, node, fc, scope, w) for w in words]
        elif mod == "s":
            items = [self.mk(Literal, node, fc, scope, w) for w in words]
        else:
            return self.unknown(node, fc, scope)
        return self.mk(ListValue, node, fc, scope, tuple(items))

    def identifier(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        name = fc.parsed.text(node)
        if name == "__DIR__":
            return self.unknown(node, fc, scope, path=fc.dir)
        if name in scope.vars:
            return self.at(scope.vars[name], node, fc, scope)
        if name in ("config_env", "config_target"):
            return self.call_local(name, node, [], fc, scope, depth, None)
        if name in self.local_functions:
            return self.call_local_function(name, node, fc, scope, depth)
        hooked = self.identifier_hook(name, node, fc, scope, depth)
        if hooked is not None:
            return hooked
        return self.unknown(node, fc, scope)

    def identifier_hook(
        self, name: str, node: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        """Subclasses give meaning to free identifiers (e.g. `code_reloading?` in endpoints)."""
        return None

    def access(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        kids = list(named(node))
        if len(kids) != 2:
            return self.unknown(node, fc, scope)
        base = self.ev(kids[0], fc, scope, depth)
        key = self.ev(kids[1], fc, scope, depth)
        if isinstance(base, KeywordList) and isinstance(key, Atom):
            found = base.get(key.name)
            return (
                self.at(found, node, fc, scope)
                if found
                else self.mk(Literal, node, fc, scope, None)
            )
        if isinstance(base, MapValue):
            k = comparable(key)
            if k is not None and all(comparable(mk) is not None for mk, _ in base.pairs):
                for mk_, mv in base.pairs:
                    if comparable(mk_) == k:
                        return self.at(mv, node, fc, scope)
                return self.mk(Literal, node, fc, scope, None)
        return self.unknown(node, fc, scope)

    def operator(self, node: Node, fc: FileCtx) -> str:
        op = node.child_by_field_name("operator")
        return " ".join(fc.parsed.text(op).split()) if op is not None else ""

    def unary(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        op = self.operator(node, fc)
        operand = node.child_by_field_name("operand")
        if operand is None:
            return self.unknown(node, fc, scope)
        if op == "@":
            return self.attribute(node, operand, fc, scope, depth)
        if op in ("-", "+"):
            v = self.ev(operand, fc, scope, depth)
            if (
                isinstance(v, Literal)
                and isinstance(v.value, (int, float))
                and not isinstance(v.value, bool)
            ):
                n = -v.value if op == "-" else v.value
                return self.mk(Literal, node, fc, scope, n)
            return self.unknown(node, fc, scope)
        if op in ("not", "!"):
            decided = self.decide(operand, fc, scope, depth)
            if decided is None:
                return self.unknown(node, fc, scope)
            return self.mk(Literal, node, fc, scope, not decided)
        if op == "^":
            return self.ev(operand, fc, scope, depth)
        return self.unknown(node, fc, scope)  # & captures, custom operators

    def attribute(self, node: Node, operand: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        if operand.type == "identifier":
            name = fc.parsed.text(operand)
            if name in fc.attrs:
                return self.at(fc.attrs[name], node, fc, scope)
            return self.unknown(node, fc, scope)
        if operand.type == "call":
            target = operand.child_by_field_name("target")
            args = call_args(operand)
            if target is not None and target.type == "identifier" and len(args) == 1:
                value = self.ev(args[0], fc, scope, depth)
                fc.attrs[fc.parsed.text(target)] = value
                return value
        return self.unknown(node, fc, scope)

    # ----------------------------------------------------------------- binary operators

    def binary(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        op = self.operator(node, fc)
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return self.unknown(node, fc, scope)
        if op == "=":
            value = self.ev(right, fc, scope, depth)
            self.bind(left, value, fc, scope, depth)
            return value
        if op == "|>":
            piped = self.ev(left, fc, scope, depth)
            if right.type == "call":
                return self.call(right, fc, scope, depth, piped=piped, node_span=node)
            return self.unknown(node, fc, scope)
        if op in ("||", "or"):
            return self.either(node, left, right, fc, scope, depth)
        if op in ("&&", "and"):
            lv = self.ev(left, fc, scope, depth)
            lt = truthy(lv)
            if lt is True:
                return self.ev(right, fc, scope, depth)
            if lt is False:
                return lv
            return self.unknown(node, fc, scope)
        if op in ("==", "!=", "===", "!==", "<", ">", "<=", ">=", "in", "not in"):
            result = self.compare(op, left, right, fc, scope, depth)
            if result is None:
                return self.unknown(node, fc, scope)
            return self.mk(Literal, node, fc, scope, result)
        lv = self.ev(left, fc, scope, depth)
        rv = self.ev(right, fc, scope, depth)
        if op == "<>":
            lt, rt = getattr(lv, "value", None), getattr(rv, "value", None)
            if isinstance(lt, str) and isinstance(rt, str):
                return self.mk(Literal, node, fc, scope, lt + rt)
            return self.unknown(node, fc, scope)
        if op == "++":
            li = self.list_items(lv)
            ri = self.list_items(rv)
            if li is not None and ri is not None:
                return self.make_list(node, li + ri, fc, scope)
            return self.unknown(node, fc, scope)
        if op in ("+", "-", "*", "/"):
            return self.arith(op, node, lv, rv, fc, scope)
        return self.unknown(node, fc, scope)

    def list_items(self, value: Value) -> list[Value] | None:
        if isinstance(value, ListValue):
            return list(value.items)
        if isinstance(value, KeywordList):
            return [pair_tuple(k, v) for k, v in value.entries]
        return None

    def arith(self, op: str, node: Node, lv: Value, rv: Value, fc: FileCtx, scope: Scope) -> Value:
        if not (isinstance(lv, Literal) and isinstance(rv, Literal)):
            return self.unknown(node, fc, scope)
        a, b = lv.value, rv.value
        if isinstance(a, bool) or isinstance(b, bool):
            return self.unknown(node, fc, scope)
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
            return self.unknown(node, fc, scope)
        if op == "+":
            r: int | float = a + b
        elif op == "-":
            r = a - b
        elif op == "*":
            r = a * b
        else:
            if b == 0:
                return self.unknown(node, fc, scope)
            r = a / b  # Elixir's / always returns a float
        return self.mk(Literal, node, fc, scope, r)

    def either(
        self, node: Node, left: Node, right: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> Value:
        """`a || b`: env references get b as their default (or become required on raise)."""
        lv = self.ev(left, fc, scope, depth)
        if isinstance(lv, EnvRef):
            line, col, eline, ecol = fc.parsed.span(node)
            pos = {"line": line, "column": col, "end_line": eline, "end_column": ecol}
            default = None if self.is_raise(right, fc) else self.ev(right, fc, scope, depth)
            return replace(self.fallback(lv, default), **pos)
        lt = truthy(lv)
        if lt is True:
            return lv
        if lt is False:
            return self.ev(right, fc, scope, depth)
        return self.unknown(node, fc, scope)

    def fallback(self, env: EnvRef, default: Value | None, depth: int = 0) -> EnvRef:
        """`env || default` (default None: `|| raise ...`), applied where the chain can still
        be nil: `A || B || "x"` is A with default (B with default "x")."""
        if env.required or depth > 32:
            return env
        if env.cast is not None and env.default is None:
            return replace(env, required=True)  # String.to_integer(nil) raises before ||
        if env.default is None:
            return replace(env, required=True) if default is None else replace(env, default=default)
        if isinstance(env.default, EnvRef):
            return replace(env, default=self.fallback(env.default, default, depth + 1))
        if truthy(env.default) is False:  # System.get_env("A") || nil || "x"
            if default is None:
                return replace(env, default=None, required=True)
            return replace(env, default=default)
        return env

    def is_raise(self, node: Node, fc: FileCtx) -> bool:
        return call_name(fc.parsed, node) in ("raise", "exit", "throw")

    def compare(
        self, op: str, left: Node, right: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> bool | None:
        lv = self.ev(left, fc, scope, depth)
        rv = self.ev(right, fc, scope, depth)
        if op in ("in", "not in"):
            items = self.list_items(rv)
            lk = comparable(lv)
            if items is None or lk is None:
                return None
            keys = [comparable(i) for i in items]
            if any(k is None for k in keys):
                return None
            found = lk in keys
            return found if op == "in" else not found
        lk, rk = comparable(lv), comparable(rv)
        if lk is None or rk is None:
            return None
        if op in ("==", "!="):
            return (lk == rk) == (op == "==")
        if op in ("===", "!=="):
            strict = lk == rk and type(getattr(lv, "value", None)) is type(
                getattr(rv, "value", None)
            )
            return strict == (op == "===")
        # Ordering only between numbers or between strings; Elixir's term order otherwise.
        a, b = getattr(lv, "value", None), getattr(rv, "value", None)
        if isinstance(lv, Literal) and isinstance(rv, Literal):
            both_num = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
            both_str = isinstance(a, str) and isinstance(b, str)
            if both_num or both_str:
                return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]  # type: ignore[operator]
        return None

    def decide(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> bool | None:
        """Truth of a condition for this env/target: True, False, or None (undecidable)."""
        if depth > MAX_DEPTH:
            return None
        if node.type == "binary_operator":
            op = self.operator(node, fc)
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            if left is not None and right is not None and op in ("and", "&&", "or", "||"):
                lt = self.decide(left, fc, scope, depth + 1)
                conj = op in ("and", "&&")
                if lt is (not conj):  # false and _ / true or _
                    return lt
                rt = self.decide(right, fc, scope, depth + 1)
                if lt is None:
                    return None if rt is None or rt is conj else rt
                return rt
        if node.type == "unary_operator" and self.operator(node, fc) in ("not", "!"):
            operand = node.child_by_field_name("operand")
            if operand is not None:
                inner = self.decide(operand, fc, scope, depth + 1)
                return None if inner is None else not inner
        if node.type == "block":
            kids = list(named(node))
            if len(kids) == 1:
                return self.decide(kids[0], fc, scope, depth + 1)
        return truthy(self.ev(node, fc, scope, depth))

    # ----------------------------------------------------------------- binding

    def bind(self, pattern: Node, value: Value, fc: FileCtx, scope: Scope, depth: int) -> None:
        ok = self.match(pattern, value, fc, scope, depth, scope.vars)
        if ok is not True:
            for name in self.pattern_vars(pattern, fc):
                scope.vars[name] = (
                    value if pattern.type == "identifier" else self.unknown(pattern, fc, scope)
                )

    def pattern_vars(self, pattern: Node, fc: FileCtx) -> list[str]:
        names: list[str] = []
        stack = [pattern]
        seen = 0
        while stack and seen < 10_000:
            n = stack.pop()
            seen += 1
            if n.type == "identifier":
                name = fc.parsed.text(n)
                if not name.startswith("_"):
                    names.append(name)
            elif n.type == "unary_operator" and self.operator(n, fc) in ("^", "@"):
                continue
            else:
                stack.extend(named(n))
        return names

    def match(
        self,
        pattern: Node,
        value: Value,
        fc: FileCtx,
        scope: Scope,
        depth: int,
        bindings: dict[str, Value],
    ) -> bool | None:
        """Does value match pattern? Binds variables into bindings on success. None: unknown."""
        if depth > MAX_DEPTH:
            return None
        t = pattern.type
        if t == "identifier":
            name = fc.parsed.text(pattern)
            if not name.startswith("_"):
                bindings[name] = value
            return True
        if t == "binary_operator" and self.operator(pattern, fc) == "=":
            left = pattern.child_by_field_name("left")
            right = pattern.child_by_field_name("right")
            if left is None or right is None:
                return None
            a = self.match(left, value, fc, scope, depth + 1, bindings)
            b = self.match(right, value, fc, scope, depth + 1, bindings)
            if a is False or b is False:
                return False
            return None if a is None or b is None else True
        if t in ("tuple", "list"):
            kids = list(named(pattern))
            if any(k.type in ("keywords", "binary_operator") for k in kids):
                return None
            if t == "tuple":
                if not isinstance(value, TupleValue):
                    return False if is_fully_literal(value) else None
                items = list(value.items)
            else:
                items = self.list_items(value)  # type: ignore[assignment]
                if items is None:
                    return False if is_fully_literal(value) else None
            if len(items) != len(kids):
                return False
            result: bool | None = True
            for k, item in zip(kids, items, strict=True):
                r = self.match(k, item, fc, scope, depth + 1, bindings)
                if r is False:
                    return False
                if r is None:
                    result = None
            return result
        if t in ("atom", "quoted_atom", "string", "integer", "float", "boolean", "nil", "char"):
            pk = comparable(self.ev(pattern, fc, scope, depth + 1))
            vk = comparable(value)
            if pk is None or vk is None:
                return None
            return pk == vk
        if t == "unary_operator" and self.operator(pattern, fc) == "^":
            pk = comparable(self.ev(pattern, fc, scope, depth + 1))
            vk = comparable(value)
            return None if pk is None or vk is None else pk == vk
        return None

    # ----------------------------------------------------------------- calls

    def call(
        self,
        node: Node,
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None = None,
        node_span: Node | None = None,
    ) -> Value:
        name = call_name(fc.parsed, node)
        span = node_span if node_span is not None else node
        if name is None:
            return self.unknown(span, fc, scope)
        args = call_args(node)
        if "." in name:
            return self.call_remote(name, span, args, fc, scope, depth, piped)
        return self.call_local(name, node, args, fc, scope, depth, piped, span)

    def arg_values(
        self, args: list[Node], fc: FileCtx, scope: Scope, depth: int, piped: Value | None
    ) -> list[Value]:
        values = [self.ev(a, fc, scope, depth) for a in args]
        return [piped, *values] if piped is not None else values

    def call_local(
        self,
        name: str,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
        span: Node | None = None,
    ) -> Value:
        span = span if span is not None else node
        if name in ("if", "unless") and piped is None:
            return self.if_expr(node, args, fc, scope, depth, negate=name == "unless")
        if name == "case":
            return self.case_expr(node, args, fc, scope, depth, piped)
        if name == "cond" and piped is None:
            return self.cond_expr(node, fc, scope, depth)
        if name == "for" and piped is None:
            return self.for_expr(node, args, fc, scope, depth)
        if name == "config_env" and not args and piped is None:
            return self.mk(Atom, span, fc, scope, self.env)
        if name == "config_target" and not args and piped is None:
            return self.mk(Atom, span, fc, scope, self.target)
        if name in ("alias", "import", "require", "use") and piped is None:
            self.directive(name, args, fc)
            return self.mk(Atom, span, fc, scope, "ok")
        if name in ("defmodule", "def", "defp", "defmacro", "defmacrop"):
            return self.unknown(span, fc, scope)
        if name in ("env!", "env") and "Dotenvy" in fc.imports:
            return self.dotenvy(span, args, fc, scope, depth, piped)
        if name in self.local_functions and not args and piped is None:
            return self.call_local_function(name, span, fc, scope, depth)
        hooked = self.call_hook(name, node, args, fc, scope, depth)
        if hooked is not None:
            return hooked
        return self.unknown(span, fc, scope)

    def call_hook(
        self, name: str, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        """Subclasses handle their statements here (config, plug, ...); None: not handled."""
        return None

    def call_local_function(
        self, name: str, node: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> Value:
        if name in self._calling:
            return self.unknown(node, fc, scope)
        body = self.local_functions[name]
        self._calling.add(name)
        try:
            if body.type == "do_block":
                return self.run_block(
                    self.block_nodes(body), fc, Scope(conditional=scope.conditional), depth
                )
            return self.ev(body, fc, Scope(conditional=scope.conditional), depth)
        finally:
            self._calling.discard(name)

    def directive(self, name: str, args: list[Node], fc: FileCtx) -> None:
        if not args or args[0].type != "alias":
            return
        module = self.resolve_alias(args[0], fc)
        if name in ("import", "use", "require"):
            fc.imports.add(module)
            if module == "Mix.Config":
                fc.imports.add("Config")
            return
        short = module.rsplit(".", 1)[-1]
        for extra in args[1:]:
            if extra.type == "keywords":
                for pair in named(extra):
                    key = pair.child_by_field_name("key")
                    val = pair.child_by_field_name("value")
                    if (
                        key is not None
                        and val is not None
                        and val.type == "alias"
                        and fc.parsed.text(key).strip().rstrip(":") == "as"
                    ):
                        short = fc.parsed.text(val).strip()
        fc.aliases[short] = module

    def call_remote(
        self,
        name: str,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        if name in ("System.get_env", "System.fetch_env!", "System.fetch_env"):
            return self.env_ref(name, node, args, fc, scope, depth, piped)
        if name in _CASTS:
            vals = self.arg_values(args, fc, scope, depth, piped)
            if len(vals) != 1:
                return self.unknown(node, fc, scope)
            return self.cast(_CASTS[name], vals[0], node, fc, scope)
        if name == "Mix.env" and not args and piped is None:
            return self.mk(Atom, node, fc, scope, self.env)
        if name == "Mix.target" and not args and piped is None:
            return self.mk(Atom, node, fc, scope, self.target)
        if name in ("Path.expand", "Path.join", "Path.wildcard", "Path.absname"):
            return self.path_call(name, node, args, fc, scope, depth, piped)
        if name in ("Application.compile_env", "Application.get_env", "Application.fetch_env!"):
            return self.app_env(name, node, args, fc, scope, depth, piped)
        if name in ("Dotenvy.env!", "Dotenvy.env"):
            return self.dotenvy(node, args, fc, scope, depth, piped)
        return self.unknown(node, fc, scope)

    def env_ref(
        self,
        name: str,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        vals = self.arg_values(args, fc, scope, depth, piped)
        if not vals or not isinstance(vals[0], Literal) or not isinstance(vals[0].value, str):
            return self.unknown(node, fc, scope)
        var = vals[0].value
        if name == "System.get_env":
            if len(vals) == 1:
                return self.mk(EnvRef, node, fc, scope, var)
            if len(vals) == 2:
                return self.mk(EnvRef, node, fc, scope, var, default=vals[1])
            return self.unknown(node, fc, scope)
        if len(vals) != 1:
            return self.unknown(node, fc, scope)
        if name == "System.fetch_env!":
            return self.mk(EnvRef, node, fc, scope, var, required=True)
        # System.fetch_env/1 returns {:ok, value} | :error; only `case` unwraps it (case_expr).
        return self.unknown(node, fc, scope)

    def cast(self, kind: str, value: Value, node: Node, fc: FileCtx, scope: Scope) -> Value:
        """String.to_integer & co. applied to a value."""
        if isinstance(value, EnvRef):
            if value.cast is not None:
                return self.unknown(node, fc, scope)
            default = value.default
            if default is not None:
                default = self.cast(kind, default, node, fc, scope)
                default = replace(
                    default,
                    file=value.default.file,  # type: ignore[union-attr]
                    line=value.default.line,  # type: ignore[union-attr]
                    column=value.default.column,  # type: ignore[union-attr]
                    end_line=value.default.end_line,  # type: ignore[union-attr]
                    end_column=value.default.end_column,  # type: ignore[union-attr]
                )
            line, col, eline, ecol = fc.parsed.span(node)
            return replace(
                value,
                cast=kind,
                default=default,
                line=line,
                column=col,
                end_line=eline,
                end_column=ecol,
            )
        if isinstance(value, Literal) and isinstance(value.value, str):
            text = value.value
            if kind == "integer":
                n = parse_integer(text) if text.strip() == text and "_" not in text else None
                if n is not None and not text.startswith(("0x", "0o", "0b")):
                    return self.mk(Literal, node, fc, scope, n)
            elif kind in ("atom", "existing_atom"):
                return self.atom_value(text, node, fc, scope, quoted=False)
            elif kind == "charlist":
                return self.mk(Charlist, node, fc, scope, text)
        return self.unknown(node, fc, scope)

    def dotenvy(
        self,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        """Dotenvy's env!/2,3 (typed; the third argument is a default)."""
        vals = self.arg_values(args, fc, scope, depth, piped)
        if not vals or not isinstance(vals[0], Literal) or not isinstance(vals[0].value, str):
            return self.unknown(node, fc, scope)
        kind: str | None = None
        if len(vals) >= 2 and isinstance(vals[1], Atom):
            t = vals[1].name.rstrip("?!")
            kind = t if t in _DOTENVY_TYPES and t != "string" else None
        default = vals[2] if len(vals) >= 3 else None
        return self.mk(
            EnvRef,
            node,
            fc,
            scope,
            vals[0].value,
            default=default,
            required=default is None,
            cast=kind,
        )

    def app_env(
        self,
        name: str,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        """Application.compile_env(:app, key_or_path, default) read from the compile-time config."""
        if self.compile_env is None or name != "Application.compile_env":
            return self.unknown(node, fc, scope)
        vals = self.arg_values(args, fc, scope, depth, piped)
        if len(vals) not in (2, 3) or not isinstance(vals[0], Atom):
            return self.unknown(node, fc, scope)
        path: list[str] = []
        if isinstance(vals[1], Atom):
            path = [vals[1].name]
        elif isinstance(vals[1], ListValue) and all(isinstance(i, Atom) for i in vals[1].items):
            path = [i.name for i in vals[1].items]  # type: ignore[attr-defined]
        else:
            return self.unknown(node, fc, scope)
        found = self.compile_env(vals[0].name, tuple(path))
        if found is None:
            if len(vals) == 3:
                return vals[2]
            return self.mk(Literal, node, fc, scope, None)
        return found

    def path_call(
        self,
        name: str,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        """Path functions over project paths. Results are Unknown (the real value is an absolute
        path on the build machine) carrying the project-relative path for import_config."""
        vals = self.arg_values(args, fc, scope, depth, piped)

        def rel(v: Value, base: str) -> str | None:
            if isinstance(v, Unknown):
                return v.path
            if isinstance(v, Literal) and isinstance(v.value, str):
                if v.value.startswith(("/", "~")):
                    return None
                return posixpath.join(base, v.value)
            return None

        def norm(p: str | None) -> str | None:
            if p is None:
                return None
            n = posixpath.normpath(p)
            return None if n.startswith("..") else n

        if name in ("Path.expand", "Path.absname") and vals:
            base = self.cwd
            if len(vals) == 2:
                b = rel(vals[1], self.cwd)
                if b is None:
                    return self.unknown(node, fc, scope)
                base = b
            return self.unknown(node, fc, scope, path=norm(rel(vals[0], base)))
        if name == "Path.join":
            parts = vals
            if len(vals) == 1 and isinstance(vals[0], ListValue):
                parts = list(vals[0].items)
            if parts and all(isinstance(p, Literal) and isinstance(p.value, str) for p in parts):
                joined = posixpath.join(*[p.value for p in parts])  # type: ignore[union-attr,misc]
                return self.mk(Literal, node, fc, scope, joined)
            if parts and isinstance(parts[0], Unknown) and parts[0].path is not None:
                tail = [p.value for p in parts[1:] if isinstance(p, Literal)]
                if len(tail) == len(parts) - 1 and all(isinstance(t, str) for t in tail):
                    joined = posixpath.join(parts[0].path, *tail)  # type: ignore[arg-type]
                    return self.unknown(node, fc, scope, path=norm(joined))
            return self.unknown(node, fc, scope)
        if name == "Path.wildcard" and vals and self.glob is not None:
            pattern = rel(vals[0], self.cwd)
            pattern = norm(pattern) if pattern is not None else None
            if pattern is None:
                return self.unknown(node, fc, scope)
            found = sorted(self.glob(pattern))[:MAX_ITERATIONS]
            items = tuple(self.unknown(node, fc, scope, path=p) for p in found)
            return self.mk(ListValue, node, fc, scope, items)
        return self.unknown(node, fc, scope)

    # ----------------------------------------------------------------- control flow

    def branches(self, node: Node, args: list[Node]) -> tuple[list[Node], list[Node]] | None:
        """(then, else) statement lists of an if/unless, in block or keyword form."""
        block = do_block(node)
        if block is not None:
            return self.block_nodes(block), self.else_nodes(block)
        if len(args) == 2 and args[1].type == "keywords":
            then: list[Node] = []
            other: list[Node] = []
            for pair in named(args[1]):
                key = pair.child_by_field_name("key")
                val = pair.child_by_field_name("value")
                if key is None or val is None:
                    continue
                k = key.type == "keyword" and key.text.decode("utf-8", "replace").strip()
                if k == "do:":
                    then = [val]
                elif k == "else:":
                    other = [val]
            return then, other
        return None

    def if_expr(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int, negate: bool
    ) -> Value:
        parts = self.branches(node, args)
        if not args or parts is None:
            return self.unknown(node, fc, scope)
        then, other = parts
        decided = self.decide(args[0], fc, scope, depth)
        if decided is not None and negate:
            decided = not decided
        if decided is True:
            return self.run_block(then, fc, scope.child(), depth)
        if decided is False:
            if not other:
                return self.mk(Literal, node, fc, scope, None)
            return self.run_block(other, fc, scope.child(), depth)
        text = self.cond_text(args[0], fc)
        yes, no = (f"not ({text})", text) if negate else (text, f"not ({text})")
        self.run_block(then, fc, scope.child(yes), depth)
        self.run_block(other, fc, scope.child(no), depth)
        return self.unknown(node, fc, scope)

    def clauses(self, node: Node) -> list[tuple[Node | None, Node | None, list[Node]]]:
        """(pattern, guard, body) of each `->` clause in a do block."""
        block = do_block(node)
        out: list[tuple[Node | None, Node | None, list[Node]]] = []
        if block is None:
            return out
        for clause in block.named_children:
            if clause.type != "stab_clause":
                continue
            left = clause.child_by_field_name("left")
            right = clause.child_by_field_name("right")
            guard = None
            pattern = None
            if left is not None and left.type == "binary_operator":
                op = left.child_by_field_name("operator")
                if op is not None and op.type == "when":
                    guard = left.child_by_field_name("right")
                    left = left.child_by_field_name("left")
            if left is not None and left.type == "arguments":
                kids = list(named(left))
                pattern = kids[0] if len(kids) == 1 else None
            body = list(named(right)) if right is not None else []
            out.append((pattern, guard, body))
        return out

    def case_expr(
        self,
        node: Node,
        args: list[Node],
        fc: FileCtx,
        scope: Scope,
        depth: int,
        piped: Value | None,
    ) -> Value:
        subject_nodes = args if piped is None else []
        if piped is None and len(args) != 1:
            return self.unknown(node, fc, scope)
        special = self.fetch_env_case(node, subject_nodes, fc, scope, depth)
        if special is not None:
            return special
        subject = piped if piped is not None else self.ev(args[0], fc, scope, depth)
        subject_text = self.cond_text(args[0], fc) if args else "piped value"
        undecided: list[str] = []
        for pattern, guard, body in self.clauses(node):
            bindings: dict[str, Value] = {}
            matched = (
                self.match(pattern, subject, fc, scope, depth, bindings)
                if pattern is not None
                else None
            )
            if matched is True and guard is not None:
                guard_scope = scope.child()
                guard_scope.vars.update(bindings)
                matched = self.decide(guard, fc, guard_scope, depth)
            if matched is False:
                continue
            ptext = squash(fc.parsed.text(pattern)) if pattern is not None else "?"
            if matched is True and not undecided:
                inner = scope.child()
                inner.vars.update(bindings)
                return self.run_block(body, fc, inner, depth)
            text = f"{subject_text} matches {ptext}"
            if guard is not None:
                text += f" when {squash(fc.parsed.text(guard))}"
            inner = scope.child(text)
            inner.vars.update(
                {k: with_condition(v, inner.conditional) for k, v in bindings.items()}
            )
            for name in self.pattern_vars(pattern, fc) if pattern is not None else []:
                inner.vars.setdefault(name, self.unknown(pattern, fc, inner))
            self.run_block(body, fc, inner, depth)
            undecided.append(text)
            if matched is True:
                break
        return self.unknown(node, fc, scope)

    def fetch_env_case(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        """`case System.fetch_env("X") do {:ok, v} -> v; :error -> default end` as an env ref."""
        if len(args) != 1 or call_name(fc.parsed, args[0]) != "System.fetch_env":
            return None
        inner = call_args(args[0])
        if len(inner) != 1:
            return None
        var = self.ev(inner[0], fc, scope, depth)
        if not isinstance(var, Literal) or not isinstance(var.value, str):
            return None
        ok_var: str | None = None
        default: Value | None = None
        required = False
        for pattern, guard, body in self.clauses(node):
            if pattern is None or guard is not None or len(body) != 1:
                return None
            ptext = "".join(fc.parsed.text(pattern).split())
            if ptext.startswith("{:ok,") and ptext.endswith("}"):
                ok_var = ptext[5:-1]
                if fc.parsed.text(body[0]).strip() != ok_var:
                    return None
            elif ptext in (":error", "_"):
                if self.is_raise(body[0], fc):
                    required = True
                else:
                    default = self.ev(body[0], fc, scope, depth)
            else:
                return None
        if ok_var is None:
            return None
        return self.mk(EnvRef, node, fc, scope, var.value, default=default, required=required)

    def cond_expr(self, node: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        undecided: list[str] = []
        for condition, _guard, body in self.clauses(node):
            if condition is None:
                return self.unknown(node, fc, scope)
            decided = self.decide(condition, fc, scope, depth)
            if decided is False:
                continue
            if decided is True and not undecided:
                return self.run_block(body, fc, scope.child(), depth)
            prior = " and ".join(f"not ({u})" for u in undecided)
            own = self.cond_text(condition, fc)
            text = prior if decided is True else (f"{prior} and {own}" if prior else own)
            self.run_block(body, fc, scope.child(text), depth)
            if decided is True:
                break
            undecided.append(own)
        return self.unknown(node, fc, scope)

    def for_expr(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value:
        block = do_block(node)
        body = self.block_nodes(block)
        gens = [a for a in args if a.type == "binary_operator" and self.operator(a, fc) == "<-"]
        extra = [a for a in args if a not in gens]
        if len(gens) != 1 or extra or block is None:
            self.run_block(body, fc, scope.child(f"for {self.cond_text(node, fc)}"), depth)
            return self.unknown(node, fc, scope)
        pattern = gens[0].child_by_field_name("left")
        source = gens[0].child_by_field_name("right")
        enum = self.ev(source, fc, scope, depth) if source is not None else None
        items = self.list_items(enum) if enum is not None else None
        if pattern is None or items is None:
            text = f"for {self.cond_text(gens[0], fc)}"
            inner = scope.child(text)
            if pattern is not None:
                for name in self.pattern_vars(pattern, fc):
                    inner.vars[name] = self.unknown(pattern, fc, inner)
            self.run_block(body, fc, inner, depth)
            return self.unknown(node, fc, scope)
        results: list[Value] = []
        for item in items[:MAX_ITERATIONS]:
            inner = scope.child()
            matched = self.match(pattern, item, fc, inner, depth, inner.vars)
            if matched is False:
                continue
            results.append(self.run_block(body, fc, inner, depth))
        return self.mk(ListValue, node, fc, scope, tuple(results))
