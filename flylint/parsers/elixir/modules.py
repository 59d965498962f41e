"""Finding Elixir modules in a parsed file, and what endpoint and router scanners share: the
`use` lines of a module and `plug` declarations."""

from __future__ import annotations

from collections.abc import Callable

from flylint.findings import Location
from flylint.parsers.elixir.expr import Evaluator, FileCtx, Scope
from flylint.parsers.elixir.syntax import Node, ParsedElixir, call_args, call_name, do_block, named
from flylint.parsers.elixir.values import Atom, Value
from flylint.records import record

CompileEnv = Callable[[str, tuple[str, ...]], Value | None]
MAX_MODULE_NESTING = 32


@record(frozen=True)
class ModuleDef:
    name: str  # "MyAppWeb.Endpoint"
    node: Node  # the defmodule call
    name_node: Node  # the module name after defmodule
    body: list[Node]  # statements of its do block


@record(frozen=True)
class Plug:
    """`plug Plug.Static, at: "/"` or `plug :accepts, ["html"]`, in declaration order."""

    name: str  # module without the Elixir. prefix ("Plug.Static"), or the function ("accepts")
    is_module: bool
    options: Value | None
    location: Location
    conditional: str | None = None


def find_modules(parsed: ParsedElixir) -> list[ModuleDef]:
    """Every `defmodule` in the file, nested ones included (names are not joined)."""
    found: list[ModuleDef] = []
    stack: list[tuple[list[Node], int]] = [(list(named(parsed.root)), 0)]
    while stack:
        nodes, level = stack.pop()
        for index, node in enumerate(nodes):
            if node.type == "ERROR":
                if level < MAX_MODULE_NESTING:
                    stack.append((list(named(node)), level + 1))
                continue
            if call_name(parsed, node) != "defmodule":
                continue
            args = call_args(node)
            if not args or args[0].type != "alias":
                continue
            block = do_block(node)
            if block is not None:
                body = [c for c in named(block) if c.type != "else_block"]
            elif index + 1 < len(nodes) and nodes[index + 1].type == "ERROR":
                # A module whose `end` is missing: tree-sitter puts its body in an ERROR node.
                body = list(named(nodes[index + 1]))
            else:
                continue
            found.append(ModuleDef("".join(parsed.text(args[0]).split()), node, args[0], body))
            if level < MAX_MODULE_NESTING:
                stack.append((body, level + 1))
    found.sort(key=lambda m: m.node.start_byte)
    return found


def module_uses(parsed: ParsedElixir, module: ModuleDef) -> list[tuple[str, list[Node]]]:
    """(used module, argument nodes) of each top-level `use` in the module body."""
    out = []
    for stmt in module.body:
        if call_name(parsed, stmt) == "use":
            args = call_args(stmt)
            if args and args[0].type == "alias":
                out.append(("".join(parsed.text(args[0]).split()), args[1:]))
    return out


class ModuleScanner(Evaluator):
    """An evaluator for a module body: attributes, plugs and conditional blocks."""

    def __init__(self, compile_env: CompileEnv | None = None, env: str = "prod") -> None:
        super().__init__(env, compile_env=compile_env)

    def new_file(self, parsed: ParsedElixir) -> FileCtx:
        import posixpath

        return FileCtx(parsed, posixpath.dirname(parsed.path) or ".")

    def plug(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Plug | None:
        if not args:
            return None
        # `plug :foo when action in [...]` / `plug Foo, opts when ...`: the guard is not an option
        last = args[-1]
        if last.type == "binary_operator" and self.operator(last, fc) == "when":
            left = last.child_by_field_name("left")
            if left is None:
                return None
            args = [*args[:-1], left]
        first = self.ev(args[0], fc, scope, depth)
        if not isinstance(first, Atom):
            return None
        options = None
        if len(args) > 1:
            options = self.ev(args[1], fc, scope, depth)
        return Plug(
            first.module,
            first.is_module,
            options,
            fc.parsed.location(node),
            scope.conditional,
        )
