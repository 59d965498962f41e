"""FLY308, FLY312, FLY313: fly.toml and the image together — ports, the start command, and the
release command's script.

These read the FlyConfig model defensively (getattr with defaults) so that a partial or odd config
never makes a check raise.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from collections.abc import Iterable

from flylint.checks import rule
from flylint.checks.image import copy_sources, release_stages, runner_of, stage_key, stage_text
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.dockerfile import Dockerfile, Instruction, Stage

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "busybox"})
# Init wrappers that forward signals to the program they start (the program is what matters).
INIT_WRAPPERS = frozenset({"tini", "tini-static", "dumb-init", "catatonit"})
FLY_DEFAULT_KILL_SIGNAL = "SIGINT"
_EXEC_WORD = re.compile(r"(?:^|[\s;&|(){}])exec(?:\s|$)")
_SHELL_FEATURES = re.compile(r"&&|\|\||[;|`<>]|\$\(")


def _locate(fly, key: str, label: str = "") -> Location | None:
    try:
        loc = fly.locate(key)
    except Exception:  # a stand-in or partial config: no location rather than a crash
        return None
    return loc.with_label(label) if label and isinstance(loc, Location) else loc


def _exists(app: App, path: str) -> bool:
    fs = getattr(app, "fs", None)
    try:
        if fs is not None:
            return bool(fs.is_file(path))
        return app.source(path) is not None
    except Exception:
        return False


def _read(app: App, path: str):
    try:
        return app.source(path)
    except Exception:
        return None


def _join(base: str | None, rel: str) -> str:
    joined = posixpath.normpath(posixpath.join(base or ".", rel))
    return "." if joined in ("", ".") else joined


# -- FLY308 ---------------------------------------------------------------------------------------


@rule("FLY308")
def check_expose_mismatch(app: App) -> Iterable[Finding]:
    found = runner_of(app)
    fly = getattr(app, "fly", None)
    if found is None or fly is None:
        return
    df, runner = found
    if not runner.expose or runner.expose_unknown or not runner.expose_instructions:
        return
    exposed = set(runner.expose)
    missing = []
    seen_ports: set[int] = set()
    for service in getattr(fly, "services", None) or []:
        port = getattr(service, "internal_port", None)
        if not isinstance(port, int) or isinstance(port, bool) or port in seen_ports:
            continue
        proto = str(getattr(service, "protocol", None) or "tcp").lower()
        if (port, proto) in exposed:
            continue
        seen_ports.add(port)
        missing.append((service, port, proto))
    if not missing:
        return
    shown = ", ".join(str(p) if proto == "tcp" else f"{p}/{proto}" for p, proto in runner.expose)
    wanted = ", ".join(f"{getattr(s, 'key', 'service')}.internal_port = {p}" for s, p, _ in missing)
    related = tuple(
        loc
        for s, _, _ in missing
        if (loc := _locate(fly, f"{getattr(s, 'key', '')}.internal_port", "internal_port"))
    )
    instr = runner.expose_instructions[-1]
    ports = " ".join(str(p) if proto == "tcp" else f"{p}/{proto}" for _, p, proto in missing)
    yield Finding(
        "FLY308",
        f"the runner stage EXPOSEs {shown} but fly.toml routes to {wanted}; EXPOSE is only "
        "documentation on Fly, and this one points readers at the wrong port",
        df.location(instr),
        related=related,
        fix=f"EXPOSE {ports} (or remove the EXPOSE line)",
        key=stage_key(df, runner, "EXPOSE"),
    )


# -- FLY312 ---------------------------------------------------------------------------------------


def _experimental(fly) -> dict:
    data = getattr(fly, "data", None)
    exp = data.get("experimental") if isinstance(data, dict) else None
    return exp if isinstance(exp, dict) else {}


def _script_has_exec(text: str) -> bool:
    for line in text.split("\n"):
        code = line.strip()
        if not code or code.startswith("#"):
            continue
        if _EXEC_WORD.search(code.split(" #", 1)[0]):
            return True
    return False


def _is_shell_script(text: str) -> bool:
    first = text.split("\n", 1)[0].strip()
    if not first.startswith("#!"):
        return True  # no shebang: run by sh
    words = first[2:].split()
    if not words:
        return True
    prog = posixpath.basename(words[0])
    if prog == "env" and len(words) > 1:
        prog = posixpath.basename(words[-1] if words[1].startswith("-") else words[1])
    return prog in SHELLS


def _start_line(text: str) -> int:
    """Line of the last command in a script (where `exec` belongs)."""
    last = 1
    for number, line in enumerate(text.split("\n"), start=1):
        code = line.strip()
        if code and not code.startswith("#"):
            last = number
    return last


def _with_exec(line: str) -> str:
    words = line.strip().split()
    i = 0
    while i < len(words) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[i]):
        i += 1
    return " ".join([*words[:i], "exec", *words[i:]])


def _image_path(runner: Stage, prog: str) -> str:
    if prog.startswith("/"):
        return posixpath.normpath(prog)
    return posixpath.normpath(posixpath.join(runner.workdir or "/", prog))


def _script_in_project(app: App, runner: Stage, prog: str) -> str | None:
    """The project file that ends up at prog in the image: a release overlay
    (`rel/overlays/bin/NAME` for `.../bin/NAME`) or a file COPY'd from the context."""
    target = _image_path(runner, prog)
    name = posixpath.basename(target)
    if posixpath.basename(posixpath.dirname(target)) == "bin":
        for root in (getattr(app, "mix_root", None), getattr(app, "context", None)):
            if root is None:
                continue
            candidate = _join(root, f"rel/overlays/bin/{name}")
            if _exists(app, candidate):
                return candidate
    for stage in runner.lineage():
        for instr in stage.copies:
            sources = copy_sources(instr)
            if not sources:
                continue
            dest = instr.args[-1]
            base = dest if dest.startswith("/") else posixpath.join(instr.workdir or "/", dest)
            for src in sources:
                into_dir = dest.endswith("/") or len(sources) > 1 or dest in (".", "./")
                where = posixpath.join(base, posixpath.basename(src)) if into_dir else base
                if posixpath.normpath(where) == target:
                    return _join(getattr(app, "context", "."), src.lstrip("/"))
    return None


class _Judge:
    """Decides whether the process that receives the stop signal is a shell."""

    def __init__(self, app: App, df: Dockerfile, runner: Stage, signal: str) -> None:
        self.app, self.df, self.runner, self.signal = app, df, runner, signal

    def instruction(self, instr: Instruction, what: str) -> Finding | None:
        if not instr.is_exec_form:
            body = instr.body.strip()
            if _SHELL_FEATURES.search(body):
                fix = f"move the commands into a script that ends with exec, then {what} [...]"
            else:
                fix = f"{what} {json.dumps(instr.args)}"
            return Finding(
                "FLY312",
                f"{what} {_short(body)} is in shell form: /bin/sh -c becomes PID 1 and gets the "
                f"stop signal ({self.signal}), not the BEAM, so shutdown is not graceful",
                self.df.location(instr),
                fix=fix,
                key=stage_key(self.df, self.runner, what),
            )
        return self.program(instr, what, list(instr.args))

    def program(self, instr: Instruction, what: str, args: list[str]) -> Finding | None:
        if not args:
            return None
        prog = posixpath.basename(args[0])
        if prog in INIT_WRAPPERS:
            rest = args[1:]
            while rest and rest[0].startswith("-"):
                stop = rest[0] == "--"
                rest = rest[1:]
                if stop:
                    break
            return self.program(instr, what, rest)
        if prog in SHELLS:
            flags = [a for a in args[1:3] if a.startswith("-")]
            if any("c" in f.lstrip("-") for f in flags):
                script = (
                    args[args.index(flags[-1]) + 1] if args.index(flags[-1]) + 1 < len(args) else ""
                )
                if script and not _script_has_exec(script):
                    return Finding(
                        "FLY312",
                        f"{what} runs {prog} -c {_short(script)!r} without exec: the shell stays "
                        f"PID 1 and gets the stop signal ({self.signal}), not the BEAM",
                        self.df.location(instr),
                        fix="end the command with exec (e.g. `... && exec /app/bin/server`)",
                        key=stage_key(self.df, self.runner, what),
                    )
                return None
            operands = [a for a in args[1:] if not a.startswith("-")]
            return self.script(instr, what, operands[0]) if operands else None
        return self.script(instr, what, args[0])

    def script(self, instr: Instruction, what: str, prog: str) -> Finding | None:
        path = _script_in_project(self.app, self.runner, prog)
        if path is None:
            return None
        src = _read(self.app, path)
        if src is None or not _is_shell_script(src.text) or _script_has_exec(src.text):
            return None
        line = _start_line(src.text)
        text = src.line(line)
        indent = len(text) - len(text.lstrip())
        return Finding(
            "FLY312",
            f"{path} (started by {what} {prog}) runs the app without exec: sh stays PID 1 and "
            f"gets the stop signal ({self.signal}), not the BEAM",
            Location(path, line, indent + 1, line, len(text) + 1),
            related=(self.df.location(instr, label=f"{what} starts the script"),),
            fix=f"start the app with exec: `{_with_exec(text)}`",
            key=f"{path}:exec",
        )


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _entry_passes_args(app: App, runner: Stage, entry: Instruction) -> bool:
    """True when an exec-form ENTRYPOINT runs CMD as a program: an init wrapper, or a script
    that runs "$@"."""
    if not entry.args:
        return False
    prog = posixpath.basename(entry.args[0])
    if prog in INIT_WRAPPERS:
        return True
    path = _script_in_project(app, runner, entry.args[0])
    src = _read(app, path) if path else None
    return src is not None and ('"$@"' in src.text or '"${@}"' in src.text)


@rule("FLY312")
def check_shell_form_entrypoint(app: App) -> Iterable[Finding]:
    found = runner_of(app)
    if found is None:
        return
    df, runner = found
    fly = getattr(app, "fly", None)
    experimental = _experimental(fly)
    if experimental.get("exec"):
        return  # fly.toml replaces both ENTRYPOINT and CMD
    signal = getattr(fly, "kill_signal", None) or FLY_DEFAULT_KILL_SIGNAL
    judge = _Judge(app, df, runner, str(signal))
    entry = None if experimental.get("entrypoint") else runner.entrypoint
    cmd = runner.cmd
    processes = getattr(fly, "processes", None)
    if experimental.get("cmd") or (isinstance(processes, dict) and processes):
        cmd = None  # every process group runs its own command instead of CMD
    if entry is not None:
        finding = judge.instruction(entry, "ENTRYPOINT")
        if finding is not None:
            yield finding
            return
        if not entry.is_exec_form:
            return  # shell-form ENTRYPOINT ignores CMD
    if cmd is None:
        return
    if entry is not None and not _entry_passes_args(app, runner, entry):
        if not cmd.is_exec_form:
            finding = judge.instruction(cmd, "CMD")
            if finding is not None:
                yield finding
        return
    finding = judge.instruction(cmd, "CMD")
    if finding is not None:
        yield finding


# -- FLY313 ---------------------------------------------------------------------------------------

_RELEASE_SOURCE = re.compile(r"/rel/[^/]+/?$")


def _migrate_word(command: str) -> str | None:
    """The `.../bin/migrate` word in a release_command, looking one level into `sh -c '...'`."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None  # unbalanced quotes: FLY005's job
    for word in words:
        inner = [word]
        if any(c.isspace() for c in word):
            try:
                inner = shlex.split(word)
            except ValueError:
                inner = []
        for w in inner:
            if "$" in w:
                continue
            if w == "bin/migrate" or w.endswith("/bin/migrate"):
                return w
    return None


def _release_dir(runner: Stage) -> tuple[str | None, Instruction | None]:
    """Where the runner puts the release: the destination of `COPY --from=... .../rel/<app>`."""
    for stage in runner.lineage():
        for instr in reversed(stage.copies):
            if not instr.flags.get("from") or len(instr.args) < 2:
                continue
            if any(_RELEASE_SOURCE.search(src) for src in instr.args[:-1]):
                dest = instr.args[-1]
                if not dest.startswith("/"):
                    dest = posixpath.join(instr.workdir or "/", dest)
                return posixpath.normpath(dest), instr
    return None, None


def _migrate_copied(runner: Stage) -> bool:
    """True when the runner COPYs a migrate script in directly (not through overlays)."""
    for stage in runner.lineage():
        for instr in stage.copies:
            args = instr.args
            if len(args) >= 2 and (
                args[-1].rstrip("/").endswith("bin/migrate")
                or any(posixpath.basename(a.rstrip("/")) == "migrate" for a in args[:-1])
            ):
                return True
    return False


@rule("FLY313")
def check_release_command_missing_script(app: App) -> Iterable[Finding]:
    fly = getattr(app, "fly", None)
    found = runner_of(app)
    if fly is None or found is None:
        return
    df, runner = found
    command = getattr(getattr(fly, "deploy", None), "release_command", None)
    if not isinstance(command, str) or not command.strip():
        return
    word = _migrate_word(command)
    if word is None:
        return
    problems: list[str] = []
    related: list[Location] = []
    fixes: list[str] = []

    mix_root = getattr(app, "mix_root", None)
    if mix_root is not None and not _migrate_copied(runner):
        candidates = _overlay_candidates(app, mix_root)
        if not any(_exists(app, c) for c in candidates):
            problems.append(f"{candidates[0]} does not exist, so the release has no bin/migrate")
            fixes.append("run `mix phx.gen.release` (it writes rel/overlays/bin/migrate)")
        else:
            builder = _release_builder(df)
            if builder is not None and not _copies_rel(builder):
                problems.append(
                    f"{stage_text(builder)} runs `mix release` without copying rel/ in, so the "
                    "overlay's bin/migrate is not in the release"
                )
                fixes.append("add `COPY rel rel` before `RUN mix release`")

    release_dir, copy_instr = _release_dir(runner)
    workdir = runner.workdir
    if word.startswith("/"):
        expected = posixpath.dirname(posixpath.dirname(posixpath.normpath(word)))
        actual = release_dir or workdir
        if actual is not None and actual != expected:
            where = "copies the release to" if release_dir else "has WORKDIR"
            problems.append(
                f"{word} expects the release in {expected} but the runner {where} {actual}"
            )
            fixes.append(f'release_command = "{posixpath.join(actual, "bin/migrate")}"')
            anchor = copy_instr if release_dir else find_workdir(runner)
            if anchor is not None:
                related.append(df.location(anchor, label="release location in the image"))
    elif release_dir is not None:
        cwd = workdir or "/"
        base = posixpath.dirname(posixpath.dirname(posixpath.normpath(word)))
        expected = posixpath.normpath(posixpath.join(cwd, base))
        if expected != release_dir:
            problems.append(
                f"{word} is relative to the runner WORKDIR {cwd}, but the release is copied to "
                f"{release_dir}"
            )
            fixes.append(f'release_command = "{posixpath.join(release_dir, "bin/migrate")}"')
            if copy_instr is not None:
                related.append(df.location(copy_instr, label="release copied here"))
    if not problems:
        return
    loc = _locate(fly, "deploy.release_command") or Location(
        getattr(getattr(fly, "source", None), "path", app.config_path), 1
    )
    yield Finding(
        "FLY313",
        f"release_command {command!r} will fail: " + "; ".join(problems),
        loc,
        related=tuple(related),
        fix="; ".join(fixes),
        key="deploy.release_command",
    )


def _overlay_candidates(app: App, mix_root: str) -> list[str]:
    """Where rel/overlays/bin/migrate may live: the mix root, the build context, and the apps of
    an umbrella (a release can name an app's overlays directory)."""
    roots = [mix_root, getattr(app, "context", None) or mix_root]
    fs = getattr(app, "fs", None)
    try:
        apps_dir = fs.abs(_join(mix_root, "apps")) if fs is not None else None
        if apps_dir is not None and fs.inside(apps_dir) and apps_dir.is_dir():
            roots += [_join(mix_root, f"apps/{p.name}") for p in sorted(apps_dir.iterdir())]
    except Exception:  # stand-in objects or an unreadable directory: the plain roots only
        pass
    return [_join(root, "rel/overlays/bin/migrate") for root in dict.fromkeys(roots)]


def _release_builder(df: Dockerfile) -> Stage | None:
    for stage, _, _ in release_stages(df):
        return stage
    return None


def _copies_rel(stage: Stage) -> bool:
    """True when the stage (or one it is built FROM) copies rel/ (or the whole context) in."""
    for s in stage.lineage():
        for instr in s.copies:
            for src in copy_sources(instr):
                path = src[2:] if src.startswith("./") else src
                if path in ("", ".", "*", "rel", "rel/") or path.startswith("rel/"):
                    return True
    return False


def find_workdir(stage: Stage) -> Instruction | None:
    for s in stage.lineage():
        for instr in s.instructions:
            if instr.keyword == "WORKDIR" and instr.line == s.workdir_line:
                return instr
    return None
