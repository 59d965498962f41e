"""Discovery: from the paths given on the command line to a Project of Apps.

An app is one fly config (fly.toml, fly.staging.toml, ...). For each we find its build context,
Dockerfile, .dockerignore, mix project and the workflows of its repository, all inside the project
root and never through a symlink that leaves it.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from flylint.findings import Finding
from flylint.model import App, Project
from flylint.records import record
from flylint.sources import ProjectFS

FLY_CONFIG_NAME = re.compile(r"^fly(\.[\w.-]+)?\.toml$")
# Directories that hold dependencies or build output, never an app's own deploy config.
SKIP_DIRS = {"deps", "_build", "node_modules", ".git", ".elixir_ls", ".hg", ".svn", "cover"}


class DiscoveryError(Exception):
    """The command line names nothing flylint can lint (exit 2)."""


@record(frozen=True)
class Target:
    root: Path  # the project root: outputs are relative to it, reads never leave it
    configs: tuple[str, ...]  # project-relative fly config paths


def find_root(start: Path) -> Path:
    """The enclosing git repository's root, else the start directory itself."""
    here = start
    while True:
        if (here / ".git").exists():
            return here
        if here.parent == here:
            return start
        here = here.parent


def walk_fly_configs(fs: ProjectFS, top: Path) -> list[str]:
    """Every fly config below top, skipping dependency and build directories."""
    found = []
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if FLY_CONFIG_NAME.match(name):
                # Kept even when it is a symlink leaving the root (or a loop): reading it then
                # reports FLY001 instead of the app silently vanishing.
                found.append(fs.rel(Path(dirpath) / name))
        # A directory named like a fly config is a mistake worth reporting, not skipping silently.
        for name in dirnames:
            if FLY_CONFIG_NAME.match(name):
                found.append(fs.rel(Path(dirpath) / name))
    return found


def nearest_fly_config(fs: ProjectFS, start: Path) -> str | None:
    """The fly.toml of the app a file belongs to: the closest one at or above its directory."""
    here = start
    while fs.inside(here):
        candidate = here / "fly.toml"
        if candidate.is_file():
            return fs.rel(candidate)
        if here == fs.root:
            break
        here = here.parent
    return None


def resolve_dir_of(p: Path) -> Path:
    """p with its directory resolved but not p itself: a symlinked fly.toml named on the command
    line stays in its project (and is read through ProjectFS), its target never picks the root."""
    return p.absolute().parent.resolve() / p.name


def targets_for(paths: list[str], app_config: str | None) -> list[Target]:
    if app_config is not None:
        p = Path(app_config)
        if not p.is_file():
            raise DiscoveryError(f"--app-config {app_config}: no such file")
        resolved = resolve_dir_of(p)
        root = find_root(resolved.parent)
        fs = ProjectFS(root)
        return [Target(fs.root, (fs.rel(resolved),))]
    targets = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise DiscoveryError(f"{raw}: no such file or directory")
        if p.is_dir():
            root = p.resolve()
            fs = ProjectFS(root)
            configs = walk_fly_configs(fs, root)
            if not configs:
                raise DiscoveryError(
                    f"{raw}: no fly.toml found (looked for fly.toml and fly.*.toml below it; "
                    "use --app-config FILE for another name)"
                )
        else:
            resolved = resolve_dir_of(p)
            root = find_root(resolved.parent)
            fs = ProjectFS(root)
            if FLY_CONFIG_NAME.match(p.name):
                configs = [fs.rel(resolved)]
            else:
                config = nearest_fly_config(fs, resolved.parent)
                if config is None:
                    raise DiscoveryError(f"{raw}: no fly.toml found at or above this file")
                configs = [config]
        targets.append(Target(fs.root, tuple(configs)))
    return targets


def join(base: str, rel: str) -> str:
    """Project-relative path of rel taken from directory base (never absolute)."""
    joined = posixpath.normpath(
        posixpath.join(base, rel.lstrip("/") if rel.startswith("/") else rel)
    )
    return "." if joined in ("", ".") else joined


def present(fs: ProjectFS, rel: str) -> bool:
    """A file entry is there, readable or not: a symlink leaving the root, a loop or a FIFO counts,
    so that reading it reports FLY001 rather than the file being silently ignored."""
    p = fs.abs(rel)
    return p.is_symlink() or (p.exists() and not p.is_dir())


def mix_root_for(fs: ProjectFS, build_dir: str) -> str | None:
    """The mix project that the image builds: the one at the Dockerfile's directory (the build
    context), or the umbrella around it. A mix project above an unrelated subdirectory app (a
    Grafana sidecar's fly.toml in `fly_apps/grafana/`) is not that app's."""
    # present, not is_file: a mix.exs that cannot be read (a FIFO, a symlink out) is reported.
    if not present(fs, join(build_dir, "mix.exs")):
        return None
    parent = posixpath.dirname(build_dir) if build_dir != "." else ""
    if parent and posixpath.basename(parent) == "apps":
        umbrella = posixpath.dirname(parent) or "."
        if present(fs, join(umbrella, "mix.exs")):
            return umbrella
    return build_dir


def workflows_for(fs: ProjectFS, start: str) -> list[str]:
    """Workflow files of the repository holding start: the nearest .github/workflows at or above."""
    here = start
    while True:
        wf = join(here, ".github/workflows")
        if fs.is_dir(wf):
            # Symlinks leaving the root stay listed: reading them reports FLY001.
            files = sorted(p for p in fs.abs(wf).iterdir() if p.suffix in (".yml", ".yaml"))
            return [fs.rel(p) for p in files]
        p = fs.abs(wf)
        if (p.is_symlink() or p.exists()) and not fs.inside(p):
            return [wf]  # the directory leaves the root (or loops): reading it reports FLY001
        if here == ".":
            return []
        here = posixpath.dirname(here) or "."


def build_app(fs: ProjectFS, config_path: str, caches: dict[str, dict]) -> App:
    from flylint.parsers.flytoml import parse_fly_config

    app = App(config_path=config_path, fs=fs)
    src, problem = fs.read(config_path)
    if problem is not None:
        app.input_findings.append(problem)
    if src is None:
        return app
    fly, findings = parse_fly_config(src)
    app.fly = fly
    app.input_findings.extend(findings)

    config_dir = posixpath.dirname(config_path) or "."
    app.context = config_dir
    build = fly.build if fly is not None else None
    dockerfile = (build.dockerfile if build else None) or "Dockerfile"
    ignorefile = (build.ignorefile if build else None) or ".dockerignore"
    target = build.build_target if build else None
    app.dockerfile_path = join(config_dir, dockerfile)
    app.dockerignore_path = join(config_dir, ignorefile)
    app.dockerignore_exists = present(fs, app.dockerignore_path)
    if app.dockerignore_exists:
        _, problem = fs.read(app.dockerignore_path)  # unreadable (binary, outside...): FLY001
        if problem is not None:
            app.input_findings.append(problem)
    app.mix_root = mix_root_for(fs, posixpath.dirname(app.dockerfile_path) or ".")
    app.workflow_paths = workflows_for(fs, config_dir)
    if app.workflow_paths:
        from flylint.parsers.workflows import load_workflows

        load_workflows(app, caches.setdefault("workflows", {}))

    uses_image = bool(build and build.image) and not (build and build.dockerfile)
    if not uses_image and not re.match(r"^[a-z]+://", dockerfile):
        app.dockerfile = load_dockerfile(fs, app, target, caches.setdefault("dockerfile", {}))
    if app.mix_root is not None:
        app.extra["elixir"] = load_elixir(app, caches.setdefault("elixir", {}))
    return app


def load_elixir(app: App, cache: dict):
    """The Elixir model of the app's mix project, loaded once per mix root."""
    if app.mix_root not in cache:
        from flylint.parsers.elixir.project import load_for_app

        cache[app.mix_root] = load_for_app(app)
    project = cache[app.mix_root]
    app.input_findings.extend(project.findings)
    return project


def load_dockerfile(fs: ProjectFS, app: App, target: str | None, cache: dict):
    """Parse the app's Dockerfile once per (path, target, build args), even when several fly
    configs share it. `[build.args]` fill in ARGs (FROM images, MIX_ENV) as `fly deploy` does."""
    build_args = dict(app.fly.build.args) if app.fly is not None else {}
    key = (app.dockerfile_path, target, tuple(sorted(build_args.items())))
    if key not in cache:
        from flylint.parsers.dockerfile import parse_dockerfile

        src, problem = fs.read(app.dockerfile_path)
        findings: list[Finding] = [problem] if problem else []
        parsed = None
        if src is not None:
            parsed, more = parse_dockerfile(src, target, build_args or None)
            findings.extend(more)
        cache[key] = (parsed, findings)
    parsed, findings = cache[key]
    app.input_findings.extend(findings)
    return parsed


def discover(paths: list[str], app_config: str | None = None) -> list[Project]:
    """One Project per project root named on the command line."""
    projects: dict[Path, Project] = {}
    seen: set[tuple[Path, str]] = set()
    for target in targets_for(paths, app_config):
        project = projects.get(target.root)
        if project is None:
            project = projects[target.root] = Project(fs=ProjectFS(target.root))
        for config in target.configs:
            if (target.root, config) in seen:
                continue
            seen.add((target.root, config))
            project.apps.append(build_app(project.fs, config, project.parse_cache))
    return list(projects.values())
