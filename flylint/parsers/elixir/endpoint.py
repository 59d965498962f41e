"""The Phoenix endpoint module: plugs in order with their options, sockets, module attributes
(`@session_options`) and the otp_app, read from the module that says `use Phoenix.Endpoint`."""

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
from flylint.parsers.elixir.syntax import Node, ParsedElixir
from flylint.parsers.elixir.values import Atom, KeywordList, Literal, Value, truthy
from flylint.records import record

# Cheap pre-filter before parsing; the parse decides (comments do not count).
ENDPOINT_HINT = re.compile(r"use\s+Phoenix\.Endpoint\b")


@record(frozen=True)
class Socket:
    """`socket "/live", Phoenix.LiveView.Socket, websocket: [...], longpoll: [...]`."""

    path: str | None
    module: str | None
    options: Value | None  # the keyword list after the module
    location: Location
    conditional: str | None = None

    def option(self, key: str) -> Value | None:
        return self.options.get(key) if isinstance(self.options, KeywordList) else None

    @property
    def websocket(self) -> Value | None:
        return self.option("websocket")

    @property
    def longpoll(self) -> Value | None:
        return self.option("longpoll")


@record
class Endpoint:
    module: str  # "MyAppWeb.Endpoint"
    otp_app: str | None
    location: Location  # the defmodule line
    plugs: list[Plug] = field(default_factory=list)
    sockets: list[Socket] = field(default_factory=list)
    attributes: dict[str, Value] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def config_key(self) -> str:
        """The key this endpoint is configured under: "Elixir.MyAppWeb.Endpoint"."""
        return "Elixir." + self.module

    @property
    def session_options(self) -> Value | None:
        return self.attributes.get("session_options")

    def plug(self, name: str) -> Plug | None:
        return next((p for p in self.plugs if p.name == name), None)

    @property
    def parsers(self) -> Plug | None:
        return self.plug("Plug.Parsers")


class _EndpointScanner(ModuleScanner):
    def __init__(self, compile_env: CompileEnv | None, module: str, otp_app: str | None) -> None:
        super().__init__(compile_env)
        self.module = module
        self.otp_app = otp_app
        self.plugs: list[Plug] = []
        self.sockets: list[Socket] = []

    def identifier_hook(
        self, name: str, node: Node, fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        if name != "code_reloading?" or self.compile_env is None or self.otp_app is None:
            return None
        # use Phoenix.Endpoint binds code_reloading? to the compile-time :code_reloader setting.
        value = self.compile_env(self.otp_app, ("Elixir." + self.module, "code_reloader"))
        known = truthy(value) if value is not None else False
        if known is None:
            return None
        return self.mk(Literal, node, fc, scope, known)

    def call_hook(
        self, name: str, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        if name == "plug":
            plug = self.plug(node, args, fc, scope, depth)
            if plug is not None:
                self.plugs.append(plug)
            return self.mk(Atom, node, fc, scope, "ok")
        if name == "socket" and args:
            path = self.ev(args[0], fc, scope, depth)
            module = self.ev(args[1], fc, scope, depth) if len(args) > 1 else None
            options = self.ev(args[2], fc, scope, depth) if len(args) > 2 else None
            self.sockets.append(
                Socket(
                    path.value
                    if isinstance(path, Literal) and isinstance(path.value, str)
                    else None,
                    module.module if isinstance(module, Atom) else None,
                    options,
                    fc.parsed.location(node),
                    scope.conditional,
                )
            )
            return self.mk(Atom, node, fc, scope, "ok")
        return None


def scan_endpoints(parsed: ParsedElixir, compile_env: CompileEnv | None = None) -> list[Endpoint]:
    """Endpoints defined in a parsed file (usually one). compile_env(app, key_path) lets
    `code_reloading?` be decided from the compile-time config; without it such blocks are
    reported as conditional."""
    found: list[Endpoint] = []
    for module in find_modules(parsed):
        uses = module_uses(parsed, module)
        use_args = next((a for m, a in uses if m == "Phoenix.Endpoint"), None)
        if use_args is None:
            continue
        scanner = _EndpointScanner(compile_env, module.name, None)
        fc = scanner.new_file(parsed)
        otp_app = None
        if use_args:
            opts = scanner.ev(use_args[0], fc, Scope())
            app = opts.get("otp_app") if isinstance(opts, KeywordList) else None
            otp_app = app.name if isinstance(app, Atom) else None
        scanner.otp_app = otp_app
        with contextlib.suppress(RecursionError):  # keep what was scanned before
            scanner.run_block(module.body, fc, Scope(), 0)
        found.append(
            Endpoint(
                module.name,
                otp_app,
                parsed.location(module.name_node),
                scanner.plugs,
                scanner.sockets,
                dict(fc.attrs),
            )
        )
    return found
