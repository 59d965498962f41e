"""mix.exs (app name, umbrella layout, deps, releases) and mix.lock (locked versions).

mix.exs is evaluated like config: the `project/0` keyword list, following calls to zero-arity
local functions such as `deps()`; `Mix.env()` is the target env. mix.lock is read line by line:
every entry sits on one line in files Mix writes, and a regex is far cheaper than a parse."""

from __future__ import annotations

import re
from dataclasses import field

from flylint.findings import Location
from flylint.parsers.elixir.expr import Evaluator, FileCtx, Scope
from flylint.parsers.elixir.modules import find_modules, module_uses
from flylint.parsers.elixir.syntax import ParsedElixir, call_args, call_name, do_block, named
from flylint.parsers.elixir.values import (
    Atom,
    KeywordList,
    ListValue,
    Literal,
    TupleValue,
    Value,
)
from flylint.records import record
from flylint.sources import SourceFile


@record(unsafe_hash=True)  # one per dependency (and lock entry): never changed
class Dep:
    name: str
    requirement: str | None  # "~> 1.8.1"; None for git/path/umbrella deps without one
    options: KeywordList | None
    location: Location

    def option(self, key: str) -> Value | None:
        return self.options.get(key) if self.options is not None else None


@record
class MixProject:
    path: str  # project-relative path of mix.exs
    module: str | None
    location: Location
    project: KeywordList | None  # the evaluated project/0 keyword list
    app: str | None = None
    apps_path: str | None = None  # "apps" for umbrellas
    config_path: str | None = None  # as written in mix.exs (relative to its directory)
    lockfile: str | None = None  # umbrella children point at the root's "../../mix.lock"
    deps: list[Dep] = field(default_factory=list)
    releases: dict[str, Value] = field(default_factory=dict)  # release name -> its options

    @property
    def is_umbrella(self) -> bool:
        return self.apps_path is not None

    def dep(self, name: str) -> Dep | None:
        return next((d for d in self.deps if d.name == name), None)

    def release_applications(self, release: str | None = None) -> list[str]:
        """Applications a release starts (`applications:` keys), empty when not listed."""
        rel = self.releases.get(release) if release else next(iter(self.releases.values()), None)
        if not isinstance(rel, KeywordList):
            return []
        apps = rel.get("applications")
        return apps.keys() if isinstance(apps, KeywordList) else []


def _str(value: Value | None) -> str | None:
    if isinstance(value, Literal) and isinstance(value.value, str):
        return value.value
    return None


def scan_mixfile(parsed: ParsedElixir, env: str = "prod") -> MixProject | None:
    """The Mix project defined in a parsed mix.exs (the module that `use Mix.Project`)."""
    for module in find_modules(parsed):
        if not any(m == "Mix.Project" for m, _ in module_uses(parsed, module)):
            continue
        ev = Evaluator(env)
        fc = FileCtx(parsed, ".")
        for stmt in module.body:
            if call_name(parsed, stmt) not in ("def", "defp"):
                continue
            args = call_args(stmt)
            if not args or args[0].type != "identifier":
                continue  # functions with arguments are not followed
            block = do_block(stmt)
            body = block
            if body is None and len(args) == 2 and args[1].type == "keywords":
                pair = next(named(args[1]), None)
                body = pair.child_by_field_name("value") if pair is not None else None
            if body is not None:
                ev.local_functions.setdefault(parsed.text(args[0]), body)
        project = (
            ev.call_local_function("project", module.node, fc, Scope(), 0)
            if "project" in ev.local_functions
            else None
        )
        kw = project if isinstance(project, KeywordList) else None
        mix = MixProject(parsed.path, module.name, parsed.location(module.name_node), kw)
        if kw is not None:
            app = kw.get("app")
            mix.app = app.name if isinstance(app, Atom) else None
            mix.apps_path = _str(kw.get("apps_path"))
            mix.config_path = _str(kw.get("config_path"))
            mix.lockfile = _str(kw.get("lockfile"))
            deps = kw.get("deps")
            if isinstance(deps, ListValue):
                mix.deps = [d for d in (_dep(i) for i in deps.items) if d is not None]
            elif isinstance(deps, KeywordList):  # every dep a 2-tuple: Elixir sees a keyword list
                mix.deps = [_pair_dep(k, v) for k, v in deps.entries]
            releases = kw.get("releases")
            if isinstance(releases, KeywordList):
                mix.releases = dict(releases.entries)
        return mix
    return None


def _pair_dep(name: str, value: Value) -> Dep:
    options = value if isinstance(value, KeywordList) else None
    return Dep(name, _str(value), options, value.location())


def _dep(value: Value) -> Dep | None:
    if not isinstance(value, TupleValue) or not value.items:
        return None
    name = value.items[0]
    if not isinstance(name, Atom):
        return None
    requirement = None
    options = None
    for item in value.items[1:]:
        if _str(item) is not None and requirement is None:
            requirement = _str(item)
        elif isinstance(item, KeywordList):
            options = item
    return Dep(name.name, requirement, options, value.location())


@record(unsafe_hash=True)
class LockedDep:
    name: str
    source: str  # "hex", "git", "path"
    version: str | None  # hex version; the tag (if any) for git deps
    ref: str | None  # git commit
    line: int
    path: str

    @property
    def location(self) -> Location:
        return Location(self.path, self.line, 1)


_LOCK_ENTRY = re.compile(r'^\s*"(?P<name>[^"]+)"\s*:\s*\{\s*:(?P<source>\w+)\s*,(?P<rest>.*)$')
_HEX = re.compile(r'^\s*:(?P<pkg>[\w]+)\s*,\s*"(?P<version>[^"]*)"')
_GIT = re.compile(r'^\s*"(?P<url>[^"]*)"\s*,\s*"(?P<ref>[^"]*)"')
_TAG = re.compile(r'\btag:\s*"(?P<tag>[^"]*)"')


def parse_lock(source: SourceFile) -> dict[str, LockedDep]:
    """Locked dependencies by name. Lines that do not look like entries are skipped."""
    out: dict[str, LockedDep] = {}
    for number, line in enumerate(source.lines, start=1):
        m = _LOCK_ENTRY.match(line)
        if m is None:
            continue
        name, src, rest = m.group("name"), m.group("source"), m.group("rest")
        version = ref = None
        if src == "hex":
            h = _HEX.match(rest)
            version = h.group("version") if h else None
        elif src == "git":
            g = _GIT.match(rest)
            ref = g.group("ref") if g else None
            t = _TAG.search(rest)
            version = t.group("tag").lstrip("v") if t else None
        out.setdefault(name, LockedDep(name, src, version, ref, number, source.path))
    return out


def version_tuple(version: str | None) -> tuple[int, ...] | None:
    """Version text to a tuple: "1.19.0-rc.1" -> (1, 19, 0); None when not a version."""
    if not version:
        return None
    m = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", version)
    if m is None:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)
