"""The Phoenix router module: pipelines with their plugs, scopes, `pipe_through` and routes
(verb, full path, target module, action), `live`, `forward` and `live_dashboard`."""

from __future__ import annotations

import contextlib
import re
from dataclasses import field

from flylint.findings import Location
from flylint.parsers.elixir.expr import FileCtx, Scope
from flylint.parsers.elixir.modules import (
    CompileEnv,
    ModuleScanner,
    Plug,
    find_modules,
    module_uses,
)
from flylint.parsers.elixir.syntax import Node, ParsedElixir, do_block
from flylint.parsers.elixir.values import Atom, KeywordList, ListValue, Literal, Value
from flylint.records import record

ROUTER_HINT = re.compile(r"use\s+(?:[\w.]+\s*,\s*:router\b|Phoenix\.Router\b)")
VERBS = {"get", "post", "put", "patch", "delete", "options", "head", "connect", "trace"}
ROUTE_MACROS = VERBS | {"match", "live", "forward", "resources", "live_dashboard"}
MAX_ROUTES = 5000


@record(frozen=True)
class Route:
    verb: str  # "get", "live", "forward", "live_dashboard", "resources", "match", ...
    path: str  # full path including scope prefixes
    target: str | None  # "MyAppWeb.PageController" (scope alias applied)
    action: str | None  # "home"
    options: Value | None
    pipelines: tuple[str, ...]  # pipe_through of enclosing scopes, outermost first
    location: Location
    conditional: str | None = None


@record(frozen=True)
class Pipeline:
    name: str
    plugs: tuple[Plug, ...]
    location: Location
    conditional: str | None = None

    def plug(self, name: str) -> Plug | None:
        return next((p for p in self.plugs if p.name == name), None)


@record(frozen=True)
class RouterScope:
    path: str  # full path
    alias: str | None  # full alias
    pipelines: tuple[str, ...]  # including the enclosing scopes'
    location: Location
    conditional: str | None = None


@record
class Router:
    module: str
    location: Location
    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    scopes: list[RouterScope] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    plugs: list[Plug] = field(default_factory=list)  # router-level plugs outside pipelines

    @property
    def path(self) -> str:
        return self.location.path

    def routes_through(self, pipeline: str) -> list[Route]:
        return [r for r in self.routes if pipeline in r.pipelines]


@record
class _Frame:
    path: str
    alias: str | None
    pipes: list[str]


def join_path(prefix: str, path: str) -> str:
    parts = [p for p in (prefix + "/" + path).split("/") if p]
    return "/" + "/".join(parts)


def _alias_join(prefix: str | None, name: str | None) -> str | None:
    if name is None:
        return prefix
    return f"{prefix}.{name}" if prefix else name


class _RouterScanner(ModuleScanner):
    def __init__(self, compile_env: CompileEnv | None) -> None:
        super().__init__(compile_env)
        self.frames: list[_Frame] = [_Frame("/", None, [])]
        self.current_pipeline: list[Plug] | None = None
        self.pipelines: dict[str, Pipeline] = {}
        self.scopes: list[RouterScope] = []
        self.routes: list[Route] = []
        self.plugs: list[Plug] = []

    def ok(self, node: Node, fc: FileCtx, scope: Scope) -> Value:
        return self.mk(Atom, node, fc, scope, "ok")

    def call_hook(
        self, name: str, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        if name == "plug":
            plug = self.plug(node, args, fc, scope, depth)
            if plug is not None:
                target = self.current_pipeline if self.current_pipeline is not None else self.plugs
                target.append(plug)
            return self.ok(node, fc, scope)
        if name == "pipeline" and args:
            return self.pipeline(node, args, fc, scope, depth)
        if name == "scope":
            return self.scope(node, args, fc, scope, depth)
        if name == "pipe_through" and args:
            value = self.ev(args[0], fc, scope, depth)
            items = value.items if isinstance(value, ListValue) else (value,)
            for item in items:
                if isinstance(item, Atom):
                    self.frames[-1].pipes.append(item.name)
            return self.ok(node, fc, scope)
        if name == "live_session":
            block = do_block(node)
            self.run_block(self.block_nodes(block), fc, scope.child(), depth + 1)
            return self.ok(node, fc, scope)
        if args and (name in ROUTE_MACROS or self._looks_like_route(args, fc)):
            self.route(name, node, args, fc, scope, depth)
            return self.ok(node, fc, scope)
        return None

    def _looks_like_route(self, args: list[Node], fc: FileCtx) -> bool:
        """Library route macros (oban_dashboard, ...) take a literal path first."""
        return args[0].type == "string" and fc.parsed.text(args[0]).startswith('"/')

    def pipeline(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value:
        name = self.ev(args[0], fc, scope, depth)
        block = do_block(node)
        if not isinstance(name, Atom) or block is None:
            return self.ok(node, fc, scope)
        outer = self.current_pipeline
        self.current_pipeline = []
        try:
            self.run_block(self.block_nodes(block), fc, scope.child(), depth + 1)
            self.pipelines[name.name] = Pipeline(
                name.name, tuple(self.current_pipeline), fc.parsed.location(node), scope.conditional
            )
        finally:
            self.current_pipeline = outer
        return self.ok(node, fc, scope)

    def scope(self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int) -> Value:
        block = do_block(node)
        if block is None:
            return self.ok(node, fc, scope)
        values = [self.ev(a, fc, scope, depth) for a in args]
        path: str | None = None
        alias: str | None = None
        for v in values:
            if isinstance(v, Literal) and isinstance(v.value, str) and path is None:
                path = v.value
            elif isinstance(v, Atom) and v.is_module and alias is None:
                alias = v.module
            elif isinstance(v, KeywordList):
                p = v.get("path")
                a = v.get("alias")
                if isinstance(p, Literal) and isinstance(p.value, str):
                    path = p.value
                if isinstance(a, Atom) and a.is_module:
                    alias = a.module
        parent = self.frames[-1]
        frame = _Frame(
            join_path(parent.path, path or ""), _alias_join(parent.alias, alias), list(parent.pipes)
        )
        self.frames.append(frame)
        try:
            self.run_block(self.block_nodes(block), fc, scope.child(), depth + 1)
        finally:
            self.frames.pop()
        self.scopes.append(
            RouterScope(
                frame.path,
                frame.alias,
                tuple(frame.pipes),
                fc.parsed.location(node),
                scope.conditional,
            )
        )
        return self.ok(node, fc, scope)

    def route(
        self, verb: str, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> None:
        if len(self.routes) >= MAX_ROUTES:
            return
        values = [self.ev(a, fc, scope, depth) for a in args]
        if verb == "match" and values:
            method = values[0]
            verb = f"match {method.name}" if isinstance(method, Atom) else "match"
            values = values[1:]
        if not values or not isinstance(values[0], Literal) or not isinstance(values[0].value, str):
            return
        frame = self.frames[-1]
        path = join_path(frame.path, values[0].value)
        target = None
        action = None
        options: Value | None = None
        rest = values[1:]
        if rest and isinstance(rest[0], Atom) and rest[0].is_module:
            aliased = verb not in ("live_dashboard",)
            target = _alias_join(frame.alias, rest[0].module) if aliased else rest[0].module
            rest = rest[1:]
        if rest and isinstance(rest[0], Atom) and not rest[0].is_module:
            action = rest[0].name
            rest = rest[1:]
        if rest:
            options = rest[0]
        self.routes.append(
            Route(
                verb,
                path,
                target,
                action,
                options,
                tuple(frame.pipes),
                fc.parsed.location(node),
                scope.conditional,
            )
        )
        block = do_block(node)
        if verb == "resources" and block is not None:
            # Nested resources live under "/users/:user_id".
            base = (target or "").rsplit(".", 1)[-1].removesuffix("Controller")
            param = _underscore(base) or "id"
            nested = _Frame(join_path(path, f":{param}_id"), frame.alias, list(frame.pipes))
            self.frames.append(nested)
            try:
                self.run_block(self.block_nodes(block), fc, scope.child(), depth + 1)
            finally:
                self.frames.pop()


def _underscore(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def is_router_module(parsed: ParsedElixir, uses: list[tuple[str, list[Node]]]) -> bool:
    for module, args in uses:
        if module == "Phoenix.Router":
            return True
        if args and args[0].type == "atom" and parsed.text(args[0]) == ":router":
            return True
    return False


def scan_routers(parsed: ParsedElixir, compile_env: CompileEnv | None = None) -> list[Router]:
    """Routers defined in a parsed file. compile_env(app, key_path) lets conditions such as
    `Application.compile_env(:my_app, :dev_routes)` be decided for prod."""
    found: list[Router] = []
    for module in find_modules(parsed):
        if not is_router_module(parsed, module_uses(parsed, module)):
            continue
        scanner = _RouterScanner(compile_env)
        fc = scanner.new_file(parsed)
        with contextlib.suppress(RecursionError):  # keep what was scanned before
            scanner.run_block(module.body, fc, Scope(), 0)
        found.append(
            Router(
                module.name,
                parsed.location(module.name_node),
                scanner.pipelines,
                scanner.scopes,
                scanner.routes,
                scanner.plugs,
            )
        )
    return found
