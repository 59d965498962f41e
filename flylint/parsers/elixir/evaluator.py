"""The static Config evaluator: `config/*.exs` for one Mix env, without running any code.

It follows what `Config.Reader` does for `mix release` in prod: config.exs (with the files it
imports, prod.exs among them) gives the compile-time view, runtime.exs (then releases.exs, the
older name) the runtime view. Each view maps an OTP app to its keyword list of keys; every value
keeps its file, span and the condition it sits under when that condition is undecidable.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import field

from flylint.findings import Finding, Location
from flylint.parsers.elixir.expr import MAX_ITERATIONS, Evaluator, FileCtx, Scope
from flylint.parsers.elixir.merge import merge_app, merge_views
from flylint.parsers.elixir.syntax import Node, ParsedElixir, named, parse
from flylint.parsers.elixir.values import (
    Atom,
    KeywordList,
    ListValue,
    Literal,
    Unknown,
    Value,
    is_keyword,
)
from flylint.records import record
from flylint.sources import SourceFile

ReadResult = SourceFile | None | tuple[SourceFile | None, Finding | None]
FsRead = Callable[[str], ReadResult]
Glob = Callable[[str], list[str]]

MAX_IMPORT_DEPTH = 16
VIEW_NAMES = {
    "compile": "compile",
    "compile_time": "compile",
    "runtime": "runtime",
    "effective": "effective",
}


def module_key(key: str) -> str:
    """A lookup key as the config spells it: "MyAppWeb.Endpoint" -> "Elixir.MyAppWeb.Endpoint"."""
    if key[:1].isupper() and not key.startswith("Elixir."):
        return "Elixir." + key
    return key


@record
class ConfigModel:
    """The effective configuration of one Mix project for one env."""

    compile_time: dict[str, KeywordList] = field(default_factory=dict)
    runtime: dict[str, KeywordList] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # FLY001 syntax errors
    files: list[str] = field(default_factory=list)  # every config file read, in order
    compile_files: list[str] = field(default_factory=list)
    runtime_files: list[str] = field(default_factory=list)
    missing_imports: list[Location] = field(default_factory=list)  # import_config of no file
    internal_errors: list[str] = field(default_factory=list)  # bugs caught; should stay empty
    env: str = "prod"

    @property
    def effective(self) -> dict[str, KeywordList]:
        """What the running release sees: runtime config merged over compile-time config."""
        return merge_views(self.compile_time, self.runtime)

    def view(self, name: str) -> dict[str, KeywordList]:
        which = VIEW_NAMES.get(name)
        if which == "compile":
            return self.compile_time
        if which == "runtime":
            return self.runtime
        if which == "effective":
            return self.effective
        raise ValueError(f"unknown config view {name!r} (compile, runtime or effective)")

    def app(self, view: str, app: str) -> KeywordList | None:
        return self.view(view).get(app.lstrip(":"))

    def get(self, view: str, app: str, *keys: str) -> Value | None:
        """model.get("compile", "my_app", "MyAppWeb.Endpoint", "force_ssl") -> Value | None."""
        node: Value | None = self.app(view, app)
        for key in keys:
            if not isinstance(node, KeywordList):
                return None
            node = node.get(module_key(key.lstrip(":")))
        return node

    def compile_env(self, app: str, path: tuple[str, ...]) -> Value | None:
        """Application.compile_env/2,3 as seen at build time."""
        return self.get("compile", app, *path)


class ConfigEvaluator(Evaluator):
    """Evaluates config files into an app -> keyword-list store, following import_config."""

    def __init__(
        self,
        fs_read: FsRead,
        model: ConfigModel,
        env: str,
        target: str,
        cwd: str,
        glob: Glob | None,
    ) -> None:
        super().__init__(env, target, cwd=cwd, glob=glob)
        self.fs_read = fs_read
        self.model = model
        self.apps: dict[str, KeywordList] = {}
        self.stack: list[str] = []
        self.parsed: dict[str, ParsedElixir | None] = {}
        self.read_files: list[str] = []

    def source(self, path: str) -> ParsedElixir | None:
        if path in self.parsed:
            return self.parsed[path]
        result = self.fs_read(path)
        finding = None
        if isinstance(result, tuple):
            result, finding = result
        if finding is not None and finding not in self.model.findings:
            self.model.findings.append(finding)
        parsed = parse(result) if isinstance(result, SourceFile) else None
        if parsed is not None and parsed.error is not None:
            self.model.findings.append(parsed.error)
        self.parsed[path] = parsed
        return parsed

    def eval_file(self, path: str, conditional: str | None = None, depth: int = 0) -> bool:
        """Evaluate one config file into self.apps; False when it does not exist."""
        if path in self.stack or len(self.stack) >= MAX_IMPORT_DEPTH:
            return True  # an import cycle: Elixir raises; we keep what we have
        parsed = self.source(path)
        if parsed is None:
            return False
        if path not in self.model.files:
            self.model.files.append(path)
        if path not in self.read_files:
            self.read_files.append(path)
        fc = FileCtx(parsed, posixpath.dirname(path) or ".")
        self.stack.append(path)
        try:
            # depth carries over imports, so nesting across files is capped like within one
            self.run_block(named(parsed.root), fc, Scope(conditional=conditional), depth)
        except RecursionError:
            self.model.internal_errors.append(f"{path}: nesting too deep")
        except Exception as err:  # never let a bug in the evaluator stop the lint run
            self.model.internal_errors.append(f"{path}: {type(err).__name__}: {err}")
        finally:
            self.stack.pop()
        return True

    def call_hook(
        self, name: str, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value | None:
        if name == "config":
            return self.config_call(node, args, fc, scope, depth)
        if name == "import_config" and len(args) == 1:
            return self.import_config(node, args[0], fc, scope, depth)
        return None

    def config_call(
        self, node: Node, args: list[Node], fc: FileCtx, scope: Scope, depth: int
    ) -> Value:
        ok = self.mk(Atom, node, fc, scope, "ok")
        if len(args) not in (2, 3):
            return ok
        app = self.ev(args[0], fc, scope, depth)
        if not isinstance(app, Atom):
            return ok
        if len(args) == 2:
            opts = self.ev(args[1], fc, scope, depth)
            if not is_keyword(opts):
                return ok  # Elixir raises on a non-keyword list; an unknown value is skipped
            entries = opts.entries if isinstance(opts, KeywordList) else ()
        else:
            key = self.ev(args[1], fc, scope, depth)
            if not isinstance(key, Atom):
                return ok
            entries = ((key.name, self.ev(args[2], fc, scope, depth)),)
        merge_app(self.apps, app.name, self.mk(KeywordList, node, fc, scope, entries))
        return ok

    def import_config(self, node: Node, arg: Node, fc: FileCtx, scope: Scope, depth: int) -> Value:
        value = self.ev(arg, fc, scope, depth)
        path: str | None = None
        if isinstance(value, Literal) and isinstance(value.value, str):
            if not value.value.startswith(("/", "~")):
                path = posixpath.normpath(posixpath.join(fc.dir, value.value))
        elif isinstance(value, Unknown):
            path = value.path
        if path is None or path.startswith(".."):
            return self.unknown(node, fc, scope)
        if "*" in path or "?" in path:
            # Mix.Config's wildcard form; Config proper imports exactly one file.
            paths = sorted(self.glob(path))[:MAX_ITERATIONS] if self.glob else []
        else:
            paths = [path]
        for p in paths:
            if not self.eval_file(p, scope.conditional, depth + 1):
                self.model.missing_imports.append(fc.parsed.location(node, p))
        return self.mk(Atom, node, fc, scope, "ok")


def _evaluate_view(
    fs_read: FsRead,
    model: ConfigModel,
    paths: list[str],
    env: str,
    target: str,
    cwd: str,
    glob: Glob | None,
) -> tuple[dict[str, KeywordList], list[str]]:
    evaluator = ConfigEvaluator(fs_read, model, env, target, cwd, glob)
    for path in paths:
        evaluator.eval_file(path)
    return evaluator.apps, evaluator.read_files


def evaluate_config(
    fs_read: FsRead,
    mix_root: str = ".",
    env: str = "prod",
    *,
    target: str = "host",
    glob: Glob | None = None,
    config_path: str | None = None,
    runtime_paths: list[str] | None = None,
) -> ConfigModel:
    """Evaluate a Mix project's config for env.

    fs_read(rel_path) returns the SourceFile (or ProjectFS.read's (SourceFile, Finding) pair) of a
    project-relative path, None when missing. glob(pattern) lists project-relative paths matching
    a wildcard (for umbrella imports); without it wildcard imports import nothing.
    config_path defaults to <mix_root>/config/config.exs (mix.exs `config_path:` overrides it);
    runtime_paths to <dir>/runtime.exs then <dir>/releases.exs, each when present."""
    root = posixpath.normpath(mix_root or ".")

    def under(rel: str) -> str:
        return posixpath.normpath(posixpath.join(root, rel))

    model = ConfigModel(env=env)
    cfg = config_path or under("config/config.exs")
    cfg_dir = posixpath.dirname(cfg) or "."
    rt = runtime_paths
    if rt is None:
        rt = [
            posixpath.normpath(posixpath.join(cfg_dir, "runtime.exs")),
            posixpath.normpath(posixpath.join(cfg_dir, "releases.exs")),
        ]
    model.compile_time, model.compile_files = _evaluate_view(
        fs_read, model, [cfg], env, target, root, glob
    )
    model.runtime, model.runtime_files = _evaluate_view(fs_read, model, rt, env, target, root, glob)
    return model


def module_list(value: Value | None) -> list[str]:
    """Module names in a list value such as `ecto_repos: [MyApp.Repo]`."""
    if not isinstance(value, ListValue):
        return []
    return [i.module for i in value.items if isinstance(i, Atom) and i.is_module]
