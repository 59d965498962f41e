"""Parsing Elixir with the official tree-sitter grammar.

tree-sitter works on UTF-8 bytes; findings and values need 1-based line/character columns as an
editor shows them, so `ParsedElixir` converts positions. Syntax errors become one FLY001 finding
per file; the tree still holds everything tree-sitter could recover, and callers keep using it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from functools import lru_cache
from typing import Any

from flylint.findings import Finding, Location
from flylint.records import record
from flylint.sources import SourceFile

Node = Any  # tree_sitter.Node; typed loosely so this module imports without tree_sitter


@lru_cache(maxsize=1)
def _parser() -> Any:
    """The Elixir parser, built once per process (loading the grammar costs a few ms)."""
    import tree_sitter
    import tree_sitter_elixir

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_elixir.language()))


@record
class ParsedElixir:
    """One parsed Elixir file: its source, tree and (at most one) syntax-error finding."""

    source: SourceFile
    data: bytes
    root: Node
    error: Finding | None = None
    _ascii: bool = field(default=True, repr=False)

    @property
    def path(self) -> str:
        return self.source.path

    def text(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _column(self, byte_offset: int, byte_column: int) -> int:
        """1-based character column of a byte position (tree-sitter columns count bytes)."""
        if self._ascii:
            return byte_column + 1
        line_start = byte_offset - byte_column
        return len(self.data[line_start:byte_offset].decode("utf-8", "replace")) + 1

    def start(self, node: Node) -> tuple[int, int]:
        row, col = node.start_point
        return row + 1, self._column(node.start_byte, col)

    def span(self, node: Node) -> tuple[int, int, int, int]:
        """(line, column, end_line, end_column), 1-based, end column exclusive."""
        if self._ascii:
            (row, col), (erow, ecol) = node.start_point, node.end_point
            return row + 1, col + 1, erow + 1, ecol + 1
        row, col = node.start_point
        erow, ecol = node.end_point
        return (
            row + 1,
            self._column(node.start_byte, col),
            erow + 1,
            self._column(node.end_byte, ecol),
        )

    def location(self, node: Node, label: str = "") -> Location:
        line, col, eline, ecol = self.span(node)
        return Location(self.path, line, col, eline, ecol, label)


def parse(source: SourceFile) -> ParsedElixir:
    """Parse a file. Never raises on bad input; a syntax error becomes `ParsedElixir.error`."""
    data = source.text.encode("utf-8")
    tree = _parser().parse(data)
    parsed = ParsedElixir(source, data, tree.root_node, None, source.text.isascii())
    if tree.root_node.has_error:
        parsed.error = _syntax_finding(parsed)
    return parsed


def _syntax_finding(parsed: ParsedElixir) -> Finding:
    node = first_error(parsed.root)
    if node is None:  # has_error but no node found: report at the top of the file
        return Finding("FLY001", "Elixir syntax error", Location(parsed.path, 1, 1))
    if node.is_missing:
        what = f'missing "{node.type}"' if node.type else "missing token"
    else:
        what = f"unexpected {_describe(parsed, node)}"
    return Finding(
        "FLY001",
        f"Elixir syntax error: {what}; the rest of the file was read as far as possible",
        parsed.location(node),
    )


def first_error(root: Node) -> Node | None:
    """The first ERROR or MISSING node in document order, found without recursion."""
    node = root
    while True:
        if node.is_error or node.is_missing:
            return node
        nxt = None
        for child in node.children:
            if child.is_error or child.is_missing or child.has_error:
                nxt = child
                break
        if nxt is None:
            return node if node is not root else None
        node = nxt


def _describe(parsed: ParsedElixir, node: Node) -> str:
    """A short, secret-safe description of the first token of an error node."""
    leaf = node
    while leaf.child_count:
        leaf = leaf.children[0]
    text = parsed.text(leaf).split("\n", 1)[0].strip()
    if not text:
        return "end of input" if leaf.start_byte >= len(parsed.data) else "input"
    # Never echo string contents: a broken line may hold a secret.
    if text[0] in "\"'~" or len(text) > 24:
        return f"{leaf.type} token" if leaf.is_named else "token"
    return f'"{text}"'


def named(node: Node) -> Iterator[Node]:
    """Named children without comments."""
    for child in node.named_children:
        if child.type != "comment":
            yield child


def call_name(parsed: ParsedElixir, node: Node) -> str | None:
    """`config` for `config ...`, `System.get_env` for `System.get_env(...)`; None otherwise."""
    if node.type != "call":
        return None
    target = node.child_by_field_name("target")
    if target is None:
        return None
    if target.type == "identifier":
        return parsed.text(target)
    if target.type == "dot":
        left = target.child_by_field_name("left")
        right = target.child_by_field_name("right")
        if left is not None and right is not None and left.type == "alias":
            return f"{''.join(parsed.text(left).split())}.{parsed.text(right)}"
    return None


def call_args(node: Node) -> list[Node]:
    """Argument nodes of a call (a trailing `keywords` node is one argument)."""
    for child in node.named_children:
        if child.type == "arguments":
            return list(named(child))
    return []


def do_block(node: Node) -> Node | None:
    for child in node.named_children:
        if child.type == "do_block":
            return child
    return None
