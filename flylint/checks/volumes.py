"""FLY4xx: volumes and data."""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable

from flylint.checks import rule
from flylint.findings import Finding, Location
from flylint.model import App

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
