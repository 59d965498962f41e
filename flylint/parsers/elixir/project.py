"""Everything flylint knows about one Mix project (plain or umbrella), loaded from its files:
mix.exs and mix.lock, the prod config views, endpoints, routers and release scripts.

Reads go through the caller's `read` (ProjectFS.read); `glob` lists project-relative paths.
`project_glob(fs)` builds one from a ProjectFS that never follows symlinks or leaves the root."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import field
from functools import lru_cache

from flylint.findings import Finding
from flylint.parsers.elixir.endpoint import ENDPOINT_HINT, Endpoint, scan_endpoints
from flylint.parsers.elixir.evaluator import (
    ConfigModel,
    FsRead,
    Glob,
    evaluate_config,
    module_list,
)
from flylint.parsers.elixir.mixfile import LockedDep, MixProject, parse_lock, scan_mixfile
from flylint.parsers.elixir.rel import ShellScript, parse_shell
from flylint.parsers.elixir.router import ROUTER_HINT, Router, scan_routers
from flylint.parsers.elixir.syntax import parse
from flylint.records import record
from flylint.sources import ProjectFS, SourceFile

SKIP_DIRS = {"deps", "_build", "node_modules", ".git", ".elixir_ls", "cover", "priv"}
MAX_LISTED = 20_000


@record
class ElixirProject:
    mix_root: str
    config: ConfigModel
    mix: MixProject | None = None
    apps: list[MixProject] = field(default_factory=list)  # umbrella children
    lock: dict[str, LockedDep] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    routers: list[Router] = field(default_factory=list)
    scripts: dict[str, ShellScript] = field(default_factory=dict)  # path -> script
    findings: list[Finding] = field(default_factory=list)  # FLY001 for every file read
    files: list[str] = field(default_factory=list)

    def locked_version(self, name: str) -> str | None:
        dep = self.lock.get(name)
        return dep.version if dep is not None else None

    @property
    def app_name(self) -> str | None:
        return self.mix.app if self.mix is not None else None

    def started_apps(self) -> list[str]:
        """OTP apps the release starts: its `applications:`, else the project or umbrella apps."""
        if self.mix is not None:
            listed = self.mix.release_applications()
            if listed:
                return listed
            if self.mix.app:
                return [self.mix.app]
        return [a.app for a in self.apps if a.app]

    def release_endpoints(self) -> list[Endpoint]:
        """Endpoints of the apps the release starts (all endpoints when that is unknown)."""
        started = set(self.started_apps())
        chosen = [e for e in self.endpoints if e.otp_app in started]
        return chosen or list(self.endpoints)

    @property
    def endpoint(self) -> Endpoint | None:
        found = self.release_endpoints()
        return found[0] if found else None

    def router_for(self, endpoint: Endpoint) -> Router | None:
        """The router the endpoint plugs (`plug MyAppWeb.Router`)."""
        names = {p.name for p in endpoint.plugs if p.is_module}
        return next((r for r in self.routers if r.module in names), None)

    @property
    def repos(self) -> list[str]:
        """Repo modules from `config :app, ecto_repos: [...]` of the started apps."""
        out: list[str] = []
        for app in self.started_apps() or list(self.config.compile_time):
            for repo in module_list(self.config.get("compile", app, "ecto_repos")):
                if repo not in out:
                    out.append(repo)
        return out


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def project_glob(fs: ProjectFS) -> Glob:
    """glob(pattern) over the project: `*`, `?` and `**`, files only, project-relative results,
    symlinks never followed, dependency and build directories skipped. Directory listings come
    from the ProjectFS, so repeated globs (one per rule) do not list the tree again."""

    def glob(pattern: str) -> list[str]:
        pattern = posixpath.normpath(pattern)
        if pattern.startswith(("..", "/")):
            return []
        segments = pattern.split("/")
        fixed = []
        for seg in segments:
            if any(c in seg for c in "*?["):
                break
            fixed.append(seg)
        base = "/".join(fixed[:-1] if len(fixed) == len(segments) else fixed) or "."
        # Every path found lies under base: only the rest of the pattern needs matching, and
        # that regex is the same for every app's `lib/**/*.ex`.
        prefix = "" if base == "." else base + "/"
        regex = _glob_regex(pattern[len(prefix) :])
        recursive = "**" in pattern
        start = fs.abs(base)
        if not fs.inside(start) or not start.is_dir():
            return []
        found: list[str] = []
        listed = 0
        pending = [base]  # depth first, in name order, as os.walk(topdown=True) with sorting
        while pending:
            rel_dir = pending.pop()
            listing = fs.listdir(rel_dir)
            if listing is None:
                continue
            dirnames, filenames, links = listing
            subdirs = sorted(d for d in dirnames if d not in SKIP_DIRS)
            rel_depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
            if not recursive and rel_depth >= len(segments) - 1:
                subdirs = []
            for name in sorted(filenames):
                listed += 1
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                if regex.match(rel, len(prefix)) and (name not in links or fs.inside(fs.abs(rel))):
                    found.append(rel)
            if listed > MAX_LISTED:
                break
            pending.extend(
                reversed(
                    [d if rel_dir == "." else f"{rel_dir}/{d}" for d in subdirs if d not in links]
                )
            )
        return found

    return glob


def load_project(read: FsRead, glob: Glob, mix_root: str = ".", env: str = "prod") -> ElixirProject:
    """Load the Elixir side of the project at mix_root (project-relative). Never raises."""
    root = posixpath.normpath(mix_root or ".")
    findings: list[Finding] = []
    files: list[str] = []

    def j(*parts: str) -> str:
        return posixpath.normpath(posixpath.join(root, *parts))

    def source(rel: str) -> SourceFile | None:
        result = read(rel)
        finding = None
        if isinstance(result, tuple):
            result, finding = result
        if finding is not None:
            findings.append(finding)
        if isinstance(result, SourceFile):
            files.append(rel)
            return result
        return None

    def mixfile(rel: str) -> MixProject | None:
        src = source(rel)
        if src is None:
            return None
        parsed = parse(src)
        if parsed.error is not None:
            findings.append(parsed.error)
        return scan_mixfile(parsed, env)

    mix = mixfile(j("mix.exs"))
    apps: list[MixProject] = []
    if mix is not None and mix.apps_path:
        for path in sorted(glob(j(mix.apps_path, "*", "mix.exs"))):
            child = mixfile(path)
            if child is not None:
                apps.append(child)
    config_path = j(mix.config_path) if mix is not None and mix.config_path else None
    config = evaluate_config(read, root, env, glob=glob, config_path=config_path)
    for f in config.findings:
        if f not in findings:
            findings.append(f)
    files.extend(p for p in config.files if p not in files)
    project = ElixirProject(root, config, mix, apps, findings=findings, files=files)

    lockfile = mix.lockfile if mix is not None and mix.lockfile else "mix.lock"
    lock_src = source(j(lockfile)) if not j(lockfile).startswith("..") else None
    if lock_src is not None:
        project.lock = parse_lock(lock_src)

    lib_dirs = [j("lib")] + [posixpath.join(posixpath.dirname(a.path), "lib") for a in apps]
    candidates: list[str] = []
    for lib in lib_dirs:
        candidates.extend(glob(posixpath.join(lib, "**/*.ex")))
    _scan_modules(project, candidates, source, findings)

    for script in [j("rel/env.sh.eex"), *sorted(glob(j("rel/overlays/bin/*")))]:
        src = source(script)
        if src is not None:
            project.scripts[script] = parse_shell(src)
    return project


def _scan_modules(
    project: ElixirProject,
    candidates: list[str],
    source: Callable[[str], SourceFile | None],
    findings: list[Finding],
) -> None:
    """Endpoints and routers: files named like them first; every lib file only when needed."""
    compile_env = project.config.compile_env
    done: set[str] = set()

    def scan(paths: list[str]) -> None:
        for path in paths:
            if path in done:
                continue
            done.add(path)
            src = source(path)
            if src is None:
                continue
            is_endpoint = ENDPOINT_HINT.search(src.text) is not None
            is_router = ROUTER_HINT.search(src.text) is not None
            if not (is_endpoint or is_router):
                continue
            parsed = parse(src)
            if parsed.error is not None:
                findings.append(parsed.error)
            if is_endpoint:
                project.endpoints.extend(scan_endpoints(parsed, compile_env))
            if is_router:
                project.routers.extend(scan_routers(parsed, compile_env))

    named_like = [p for p in candidates if re.search(r"(endpoint|router)[^/]*\.ex$", p)]
    scan(named_like)
    plugged = {
        p.name
        for e in project.endpoints
        for p in e.plugs
        if p.is_module and p.name.endswith("Router")
    }
    missing_router = bool(plugged - {r.module for r in project.routers})
    if not project.endpoints or missing_router:
        scan(candidates)


def load_for_app(app) -> ElixirProject:  # app: flylint.model.App
    """Convenience for discovery: the Elixir model of an App (mix_root defaults to its context)."""
    fs = app.fs
    return load_project(fs.read, project_glob(fs), app.mix_root or app.context or ".")
