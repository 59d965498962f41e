"""FLY4xx: volumes and data."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace

from flylint.checks import rule
from flylint.checks.database import (
    elixir_project,
    find_repos,
    has_sqlite_dep,
    repo_kind,
    resolve_text,
)
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.elixir.values import KeywordList
from flylint.records import record

# The release directory of the stock `mix phx.gen.release --docker` image.
DEFAULT_RELEASE_DIR = "/app"


@rule("FLY401")
def check_mount_with_incompatible_strategy(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or not fly.mounts or fly.deploy.strategy not in ("canary", "bluegreen"):
        return
    strategy = fly.deploy.strategy
    why = (
        "flyctl refuses canary deploys for apps with volumes"
        if strategy == "canary"
        else "blue-green deploys do not support volumes, so the deploy fails"
    )
    yield Finding(
        "FLY401",
        f'strategy = "{strategy}" with {len(fly.mounts)} volume mount(s): {why}',
        fly.locate("deploy.strategy"),
        related=tuple(fly.locate(m.key).with_label("volume mount") for m in fly.mounts),
        fix='strategy = "rolling" (or "immediate")',
        key="deploy.strategy",
    )


def _mount_name(mount) -> str:
    return json.dumps(mount.source) if mount.source else mount.key


@rule("FLY402")
def check_multiple_mounts_per_process(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or len(fly.mounts) < 2:
        return
    # extra mount key -> (the mount, groups it is extra for, every mount of those groups)
    extras: dict[str, tuple] = {}
    for group in fly.process_groups:
        applicable = [m for m in fly.mounts if group in fly.groups_for(m.processes)]
        if len(applicable) < 2:
            continue
        extra = applicable[1]
        _, groups, mounts = extras.setdefault(extra.key, (extra, [], []))
        groups.append(group)
        mounts.extend(m for m in applicable if m not in mounts)
    for extra, groups, mounts in extras.values():
        names = ", ".join(_mount_name(m) for m in mounts)
        who = ", ".join(json.dumps(g) for g in groups)
        yield Finding(
            "FLY402",
            f"process group{'s' if len(groups) > 1 else ''} {who} "
            f"{'each get' if len(groups) > 1 else 'gets'} more than one mount ({names}): "
            "a Machine mounts one volume, so flyctl rejects the config",
            fly.locate(extra.key),
            related=tuple(
                fly.locate(m.key).with_label("other mount for the same process group")
                for m in mounts
                if m is not extra
            ),
            fix="keep one [[mounts]] per process group (use subdirectories of one volume)",
            key=extra.key,
        )


def _release_dir(app: App) -> tuple[str | None, Location | None]:
    """Where the image keeps the release: the runner's WORKDIR when the Dockerfile is known, else
    the stock /app. None when the Dockerfile is known but sets no absolute WORKDIR."""
    dockerfile = app.dockerfile
    if dockerfile is None:
        return DEFAULT_RELEASE_DIR, None
    runner = getattr(dockerfile, "runner", None)
    workdir = getattr(runner, "workdir", None)
    if not isinstance(workdir, str) or not workdir.startswith("/"):
        return None, None
    where = None
    instructions = getattr(runner, "instructions", None) or []
    for instr in instructions:
        if getattr(instr, "keyword", None) == "WORKDIR" and isinstance(
            getattr(instr, "line", None), int
        ):
            where = instr
    location = None
    if where is not None and app.dockerfile_path:
        location = Location(
            app.dockerfile_path, where.line, getattr(where, "column", 1) or 1
        ).with_label("runner WORKDIR")
    return posixpath.normpath(workdir), location


@rule("FLY403")
def check_mount_destination_invalid(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    for mount in fly.mounts:
        dest = mount.destination
        if dest is None:
            continue  # missing: FLY003
        key = f"{mount.key}.destination"
        shown = json.dumps(dest)
        if not dest.startswith("/"):
            yield Finding(
                "FLY403",
                f"destination = {shown} is not an absolute path; flyctl rejects the mount",
                fly.locate(key),
                fix=f'destination = "/{dest.strip("./") or "data"}"',
                key=key,
            )
            continue
        normalised = posixpath.normpath(dest)
        if normalised in ("/", "//"):
            yield Finding(
                "FLY403",
                f"destination = {shown} would mount the volume over the whole root filesystem",
                fly.locate(key),
                fix='destination = "/data"',
                key=key,
            )
            continue
        release_dir, workdir_location = _release_dir(app)
        if release_dir is None or release_dir == "/":
            continue
        if release_dir == normalised or release_dir.startswith(normalised + "/"):
            yield Finding(
                "FLY403",
                f"destination = {shown} hides the release in {release_dir}: the empty volume is "
                "mounted over the image's files, so bin/server and the app are gone at boot",
                fly.locate(key),
                related=(workdir_location,) if workdir_location is not None else (),
                fix='mount the volume elsewhere, e.g. destination = "/data"',
                severity="warning",
                key=key,
            )


@rule("FLY407")
def check_mount_process_unknown(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    groups = fly.process_groups
    entries: list[tuple[str, str, list]] = []
    entries += [(f"mount {_mount_name(m)}", m.key, m.processes) for m in fly.mounts]
    for vm in fly.vms:
        processes = vm.get("processes")
        if isinstance(processes, list) and isinstance(vm.get("key"), str):
            entries.append(("[[vm]]", vm["key"], processes))
    entries += [(f"check {c.name}", c.key, c.processes) for c in fly.machine_checks]
    defined = "[processes] does not define" if fly.processes else "no [processes] section defines"
    for label, base, processes in entries:
        unknown = [p for p in processes if isinstance(p, str) and p not in groups]
        if not unknown:
            continue
        key = f"{base}.processes"
        yield Finding(
            "FLY407",
            f"{label} names process group {', '.join(json.dumps(p) for p in unknown)}, which "
            f"{defined} (groups: {', '.join(groups)}); it applies to no Machine there",
            fly.locate(key),
            fix=f"processes = {json.dumps(groups if len(groups) == 1 else [fly.default_group])}",
            key=key,
        )


# -- FLY404-FLY406: where the app keeps its data --------------------------------------------------

_UPLOAD_KEY = re.compile(
    r"^(?:[a-z0-9_]*_)?uploads?(?:_(?:dir|directory|path|root|folder|location|storage|base))?$"
)
# Keys that name a directory inside an uploads-named config block (`config :app, :uploads, dir:`).
_DIR_KEYS = ("dir", "directory", "path", "root", "folder", "location", "storage_dir")
# File-upload libraries that store on local disk under this prefix.
_UPLOAD_LIBS = {"waffle": ("storage_dir_prefix", "storage_dir"), "arc": ("storage_dir_prefix",)}
_MIGRATES = re.compile(r"migrat", re.IGNORECASE)
_REPLICATOR = re.compile(r"\b(litefs|litestream)\b", re.IGNORECASE)
LITEFS_CONFIGS = ("litefs.yml", "litefs.yaml", "etc/litefs.yml", "config/litefs.yml")
LITESTREAM_CONFIGS = ("litestream.yml", "litestream.yaml", "etc/litestream.yml")


@record(frozen=True)
class DataPath:
    """An absolute path the app writes to at runtime."""

    kind: str  # "database", "uploads", "mnesia", "static"
    what: str  # for messages: 'SQLite database of FieldNotes.Repo'
    path: str  # normalised
    location: Location  # where the path text is written
    related: tuple[Location, ...] = ()
    from_default: bool = False  # an env var's default; the variable may be set as a secret
    env_name: str | None = None
    condition: str | None = None


def _is_absolute(path: str) -> bool:
    return path.startswith("/") and "#{" not in path and "$" not in path


def _under(path: str, destination: str | None) -> bool:
    if not isinstance(destination, str) or not destination.startswith("/"):
        return False
    dest = posixpath.normpath(destination)
    if dest in ("/", "//"):
        return False  # FLY403
    return path == dest or path.startswith(dest.rstrip("/") + "/")


def _data_path(app: App, kind: str, what: str, value, config_label: str) -> DataPath | None:
    resolved = resolve_text(app, value)
    if resolved is None or not _is_absolute(resolved.text):
        return None
    related: tuple[Location, ...] = ()
    if resolved.env_name and not resolved.from_default and value is not None:
        related = (value.location(config_label),)
    return DataPath(
        kind,
        what,
        posixpath.normpath(resolved.text),
        resolved.location,
        related,
        resolved.from_default,
        resolved.env_name,
        getattr(value, "conditional", None),
    )


def _upload_named(key: str) -> bool:
    name = key[7:] if key.startswith("Elixir.") else key
    return bool(_UPLOAD_KEY.match(name.rsplit(".", 1)[-1].lower()))


def _url_like(key: str, path: str) -> bool:
    """`path: "/uploads"` may be a URL prefix, not a directory: skip one-segment values of keys
    that do not say "dir"."""
    return path.count("/") == 1 and not re.search(r"(dir|directory|folder)$", key)


def _upload_entry(app: App, where: str, key: str, value) -> Iterable[DataPath]:
    """Directories named by an upload-named key: its string value, or the dir-like keys of its
    keyword list."""
    if isinstance(value, KeywordList):
        for inner, inner_value in value.entries:
            if inner in _DIR_KEYS:
                what = f"upload directory ({where}, {inner}:)"
                found = _data_path(app, "uploads", what, inner_value, "set here")
                if found is not None and not _url_like(inner, found.path):
                    yield found
        return
    found = _data_path(app, "uploads", f"upload directory ({where})", value, "set here")
    if found is not None and not _url_like(key, found.path):
        yield found


def _upload_paths(app: App, proj) -> Iterable[DataPath]:
    try:
        effective = proj.config.effective
    except Exception:
        return
    for otp_app, config in effective.items():
        if not isinstance(config, KeywordList):
            continue
        lib_keys = _UPLOAD_LIBS.get(otp_app, ())
        for key, value in config.entries:
            name = key[7:] if key.startswith("Elixir.") else f":{key}"
            if key in lib_keys:
                what = f"{otp_app} upload directory ({key}:)"
                found = _data_path(app, "uploads", what, value, "set here")
                if found is not None:
                    yield found
            elif _upload_named(key):
                yield from _upload_entry(app, f"config :{otp_app}, {name}", key, value)
            elif isinstance(value, KeywordList):
                # `config :app, MyApp.Storage, uploads_dir: "..."`
                for inner, inner_value in value.entries:
                    if _upload_named(inner):
                        where = f"config :{otp_app}, {name}, {inner}:"
                        yield from _upload_entry(app, where, inner, inner_value)


def _database_paths(app: App, proj) -> list[DataPath]:
    out: list[DataPath] = []
    for repo in find_repos(proj):
        try:
            if repo_kind(app, proj, repo) != "sqlite":
                continue
        except Exception:
            continue
        found = _data_path(
            app,
            "database",
            f"SQLite database of {repo.module}",
            repo.get("database"),
            f"{repo.module} database:",
        )
        if found is not None:
            out.append(found)
    fly = app.fly
    env = getattr(fly, "env", None) or {}
    path = env.get("DATABASE_PATH") if isinstance(env, dict) else None
    covered = any(d.env_name == "DATABASE_PATH" for d in out)
    if (
        isinstance(path, str)
        and _is_absolute(path)
        and not covered
        and (proj is None or has_sqlite_dep(proj))
    ):
        try:
            where = fly.locate("env.DATABASE_PATH")
        except Exception:
            where = Location(app.config_path, 1, 1)
        out.append(
            DataPath(
                "database",
                "database file (DATABASE_PATH)",
                posixpath.normpath(path),
                where,
                env_name="DATABASE_PATH",
            )
        )
    return out


def _other_paths(app: App, proj) -> Iterable[DataPath]:
    try:
        mnesia = proj.config.effective.get("mnesia")
    except Exception:
        mnesia = None
    if isinstance(mnesia, KeywordList):
        found = _data_path(app, "mnesia", "Mnesia directory", mnesia.get("dir"), "Mnesia dir")
        if found is not None:
            yield found
    release_dir, _ = _release_dir(app)
    for endpoint in getattr(proj, "endpoints", None) or []:
        for plug in getattr(endpoint, "plugs", None) or []:
            if plug.name != "Plug.Static" or not isinstance(plug.options, KeywordList):
                continue
            frm = plug.options.get("from")
            found = _data_path(app, "static", "Plug.Static directory (from:)", frm, "from:")
            if found is None:
                continue
            if release_dir and _under(found.path, release_dir):
                continue  # files shipped in the release, not a writable directory
            if plug.conditional and found.condition is None:
                found = replace(found, condition=plug.conditional)
            yield found


def data_paths(app: App) -> list[DataPath]:
    """Absolute paths the app writes: SQLite databases, upload directories, the Mnesia directory
    and directories served by Plug.Static from outside the release. One entry per written text."""
    proj = elixir_project(app)
    found: list[DataPath] = []
    try:
        found.extend(_database_paths(app, proj))
        if proj is not None:
            found.extend(_upload_paths(app, proj))
            found.extend(_other_paths(app, proj))
    except Exception:  # the model is odd in a way we did not foresee: report what we have
        pass
    out: list[DataPath] = []
    seen: set[tuple[str, str, int, int]] = set()
    for item in found:
        marker = (item.path, item.location.path, item.location.line, item.location.column)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


def _read_text(app: App, rel: str) -> str | None:
    try:
        src = app.source(rel)
    except Exception:
        return None
    return src.text if src is not None else None


def _candidates(app: App, names: tuple[str, ...]) -> list[str]:
    roots = []
    for base in (getattr(app, "context", None), getattr(app, "mix_root", None), "."):
        if isinstance(base, str) and base not in roots:
            roots.append(base)
    out = []
    for base in roots:
        for name in names:
            rel = posixpath.normpath(posixpath.join(base, name))
            if rel not in out and not rel.startswith(".."):
                out.append(rel)
    return out


def litefs_dirs(app: App) -> list[str]:
    """FUSE directories of a LiteFS config (where LiteFS keeps the replicated databases)."""
    dirs: list[str] = []
    for rel in _candidates(app, LITEFS_CONFIGS):
        text = _read_text(app, rel)
        if text is None:
            continue
        in_fuse = False
        for line in text.split("\n"):
            stripped = line.split("#", 1)[0].rstrip()
            if not stripped:
                continue
            if not line[:1].isspace():
                in_fuse = stripped.startswith("fuse:")
                continue
            m = re.match(r"\s+dir:\s*[\"']?([^\"'\s]+)", stripped)
            if in_fuse and m and m.group(1).startswith("/"):
                dirs.append(posixpath.normpath(m.group(1)))
        if not dirs:
            dirs.append("/litefs")  # LiteFS's documented default mount point
    return dirs


def replicated(app: App) -> bool:
    """LiteFS or Litestream is part of the deployment (config file, image, dependency, process)."""
    if litefs_dirs(app) or any(
        _read_text(app, rel) is not None for rel in _candidates(app, LITESTREAM_CONFIGS)
    ):
        return True
    dockerfile = getattr(app, "dockerfile", None)
    for stage in getattr(dockerfile, "stages", None) or []:
        if _REPLICATOR.search(f"{getattr(stage, 'base', '')}"):
            return True
        for instr in getattr(stage, "instructions", None) or []:
            if _REPLICATOR.search(f"{getattr(instr, 'value', '')}"):
                return True
    fly = app.fly
    commands = list((getattr(fly, "processes", None) or {}).values())
    if any(isinstance(c, str) and _REPLICATOR.search(c) for c in commands):
        return True
    proj = elixir_project(app)
    deps = set(getattr(proj, "lock", None) or {})
    for mix in [getattr(proj, "mix", None), *(getattr(proj, "apps", None) or [])]:
        deps.update(d.name for d in getattr(mix, "deps", None) or [])
    return bool({"litestream", "litefs"} & deps)


def _mounts_text(fly) -> str:
    dests = [m.destination for m in fly.mounts if isinstance(m.destination, str)]
    return f"mounts: {', '.join(dests)}" if dests else "fly.toml has no [[mounts]]"


@rule("FLY404")
def check_release_command_needs_volume(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or not fly.mounts:
        return
    command = fly.deploy.release_command
    if not isinstance(command, str) or not _MIGRATES.search(command):
        return
    for item in data_paths(app):
        if item.kind != "database" or item.from_default:
            continue
        mount = next((m for m in fly.mounts if _under(item.path, m.destination)), None)
        if mount is None:
            continue
        yield Finding(
            "FLY404",
            f"release_command {json.dumps(command)} migrates the {item.what} at {item.path}, "
            f"which lives on the volume mounted at {mount.destination}: the release Machine has "
            "no volume, so the migration runs against a throw-away file",
            fly.locate("deploy.release_command"),
            related=(
                fly.locate(mount.key).with_label(f"volume mounted at {mount.destination}"),
                item.location.with_label("database path"),
                *item.related,
            ),
            fix="remove release_command and migrate at boot (Ecto.Migrator in the supervision "
            "tree, or bin/migrate before bin/server in the start command)",
            key="deploy.release_command",
        )


@rule("FLY405")
def check_data_outside_volume(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None:
        return
    fuse = litefs_dirs(app)
    for item in data_paths(app):
        if any(_under(item.path, m.destination) for m in fly.mounts):
            continue
        if any(_under(item.path, d) for d in fuse):
            continue
        message = (
            f"{item.what} {json.dumps(item.path)} is under no mount destination "
            f"({_mounts_text(fly)}): what the app writes there is lost on every deploy or restart"
        )
        severity = None
        if item.from_default:
            message += (
                f" (this is the default of {item.env_name}, used unless it is set as a secret)"
            )
            severity = "info"
        elif item.condition:
            cond = " ".join(item.condition.split())[:60]
            message += f" (only when `{cond}`, which flylint cannot decide)"
            severity = "info"
        yield Finding(
            "FLY405",
            message,
            item.location,
            related=item.related,
            fix="add a [[mounts]] volume and keep this path under its destination "
            '(e.g. destination = "/data", path under /data)'
            if not fly.mounts
            else f"move the path under a mount destination, e.g. {fly.mounts[0].destination}",
            severity=severity,
        )


@rule("FLY406")
def check_volume_not_replicated(app: App) -> Iterable[Finding]:
    fly = app.fly
    if fly is None or not fly.mounts:
        return
    items = [d for d in data_paths(app) if d.kind in ("database", "uploads")]
    if not items or replicated(app):
        return
    for mount in fly.mounts:
        held = [d for d in items if _under(d.path, mount.destination)]
        if not held:
            continue
        what = "; ".join(f"the {d.what} ({d.path})" for d in held)
        yield Finding(
            "FLY406",
            f"the volume {_mount_name(mount)} at {mount.destination} holds {what}, and nothing "
            "replicates it (no LiteFS, no Litestream): losing the Machine or its volume loses the "
            "data, and snapshots are not replication",
            fly.locate(mount.key),
            related=tuple(
                loc for d in held for loc in (d.location.with_label("data path"), *d.related)
            ),
            fix="replicate the data (LiteFS or Litestream for SQLite), or move it to Postgres / "
            "object storage",
            key=mount.key,
        )
