"""FLY7xx: the image built from the Dockerfile.

Rules read the runner stage (the last stage, or `[build] build-target`) unless they say otherwise;
FROM images are judged after ARG resolution, and anything that stays unresolved (`${TAG}` with no
default) is treated as unknown: the rule stays silent rather than guess.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator

from flylint.checks import rule
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.parsers.dockerfile import Dockerfile, Instruction, Stage, parse_dockerignore

# -- shared helpers -------------------------------------------------------------------------------


def runner_of(app: App) -> tuple[Dockerfile, Stage] | None:
    df = getattr(app, "dockerfile", None)
    runner = getattr(df, "runner", None)
    if df is None or runner is None:
        return None
    return df, runner


def stage_key(df: Dockerfile, stage: Stage, what: str) -> str:
    return f"{df.path}:stage {stage.label}:{what}"


def stage_text(stage: Stage) -> str:
    """How messages name a stage: `stage builder`, or `stage 2 (FROM debian:...)` when unnamed."""
    if stage.name:
        return f"stage {stage.name}"
    return f"stage {stage.index + 1} (FROM {stage.base or stage.base_raw})"


def find_instruction(stage: Stage, line: int | None) -> Instruction | None:
    """The instruction starting at line in stage or the stages it is built FROM."""
    if line is None:
        return None
    for s in stage.lineage():
        for instr in s.instructions:
            if instr.line == line:
                return instr
    return None


def from_location(df: Dockerfile, stage: Stage, label: str = "") -> Location:
    instr = stage.from_instruction
    if instr is None:
        return Location(df.path, stage.line, 1, stage.line, 1, label)
    return df.location(instr, stage.base_raw or None, label)


def run_text(instr: Instruction) -> str:
    """What a RUN executes: its command, plus heredoc bodies (`RUN <<EOF ... EOF`)."""
    if not instr.heredocs:
        return instr.body
    return "\n".join([instr.body, *(h.body for h in instr.heredocs)])


def context_path(app: App, rel: str) -> str:
    """Project-relative path of a build-context-relative path."""
    context = getattr(app, "context", ".") or "."
    joined = posixpath.normpath(posixpath.join(context, rel.lstrip("/")))
    return "." if joined in ("", ".") else joined


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference; the tag is None when absent."""
    ref = ref.strip()
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :], digest
    return ref, None, digest


DEBIAN_NUMBERS = {
    "8": "jessie", "9": "stretch", "10": "buster", "11": "bullseye", "12": "bookworm",
    "13": "trixie", "14": "forky",
}  # fmt: skip
DEBIAN_NAMES = frozenset(DEBIAN_NUMBERS.values())
UBUNTU_NUMBERS = {
    "18.04": "bionic", "20.04": "focal", "22.04": "jammy", "24.04": "noble",
    "24.10": "oracular", "25.04": "plucky", "25.10": "questing",
}  # fmt: skip
UBUNTU_NAMES = frozenset(UBUNTU_NUMBERS.values())
_ALPINE_VERSION = re.compile(r"^(\d+\.\d+)(?:\.\d+)?$")


def _debian_release(token: str) -> str | None:
    if token in DEBIAN_NAMES:
        return token
    major = token.split(".", 1)[0]
    return DEBIAN_NUMBERS.get(major) if major.isdigit() else None


def _ubuntu_release(token: str) -> str | None:
    if token in UBUNTU_NAMES:
        return token
    return UBUNTU_NUMBERS.get(token)


def image_os(image: str) -> tuple[str | None, str | None]:
    """(family, release) of an image: ("debian", "bookworm"), ("alpine", "3.20"), ...

    Read from the official repository names (debian, ubuntu, alpine), distroless-style names
    (`cc-debian12`) and tags that spell the OS (`hexpm/elixir:...-debian-bookworm-...-slim`,
    `...-alpine-3.20.1`). Unknown parts are None."""
    name, tag, _ = split_image(image.lower())
    repo = name.rsplit("/", 1)[-1]
    tokens = re.split(r"[-_]", tag or "")
    if repo == "debian":
        return "debian", _debian_release(tokens[0]) if tag else None
    if repo == "ubuntu":
        return "ubuntu", _ubuntu_release(tokens[0]) if tag else None
    if repo == "alpine":
        m = _ALPINE_VERSION.match(tag or "")
        return "alpine", m.group(1) if m else None
    m = re.search(r"debian(\d+)$", repo)
    if m:
        return "debian", DEBIAN_NUMBERS.get(m.group(1))
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "debian":
            return "debian", _debian_release(following)
        if token == "ubuntu":
            return "ubuntu", _ubuntu_release(following)
        if token == "alpine":
            m = _ALPINE_VERSION.match(following)
            return "alpine", m.group(1) if m else None
        m = re.fullmatch(r"alpine(\d+\.\d+)(?:\.\d+)?", token)
        if m:
            return "alpine", m.group(1)
        if token in DEBIAN_NAMES:
            return "debian", token
        if token in UBUNTU_NAMES:
            return "ubuntu", token
    return None, None


_MIX_RELEASE = re.compile(r"\bmix\s+(?:do\s+[^;&|\n]*?\b)?release(?![\w.-])")
_INLINE_MIX_ENV = re.compile(
    r"""(?:^|[\s;&|(])(?:export\s+)?MIX_ENV=("[^"]*"|'[^']*'|[^\s;&|)]*)"""
)


def release_stages(df: Dockerfile) -> Iterator[tuple[Stage, Instruction, re.Match[str]]]:
    """Each stage's first RUN that runs `mix release` (with the match in its run_text)."""
    for stage in df.stages:
        for instr in stage.instructions:
            if instr.keyword != "RUN":
                continue
            m = _MIX_RELEASE.search(run_text(instr))
            if m:
                yield stage, instr, m
                break


def builder_of(df: Dockerfile, runner: Stage) -> Stage | None:
    """The stage that builds the release the runner ships: the one running `mix release` that the
    runner copies from, else any stage running `mix release`, else the stage the runner copies
    `_build` or `rel` from."""
    builders = [stage for stage, _, _ in release_stages(df)]
    sources: list[Stage] = []
    for instr in runner.copies:
        ref = instr.flags.get("from")
        if not ref:
            continue
        stage = df.stage(ref)
        if stage is not None and stage is not runner:
            sources.append(stage)
    for stage in sources:
        if any(stage is b or b in stage.lineage() for b in builders):
            return stage
    if builders:
        return builders[-1]
    for instr in runner.copies:
        ref = instr.flags.get("from")
        stage = df.stage(ref) if ref else None
        if stage is not None and any("_build" in a or "/rel/" in a for a in instr.args[:-1]):
            return stage
    return None


# -- FLY701 ---------------------------------------------------------------------------------------


@rule("FLY701")
def check_runs_as_root(app: App) -> Iterable[Finding]:
    found = runner_of(app)
    if found is None:
        return
    df, runner = found
    if runner.user is None:
        yield Finding(
            "FLY701",
            f"the runner {stage_text(runner)} sets no USER, so the app runs as root unless the "
            "base image says otherwise",
            df.line_one(),
            related=(from_location(df, runner, "runner stage starts here"),),
            fix="add `USER nobody` after the release is copied in (chown its directory first)",
            key=stage_key(df, runner, "USER"),
        )
        return
    user = runner.user.strip().strip("\"'")
    if "$" in user:
        return  # decided by a build argument we cannot see
    name = user.split(":", 1)[0].strip()
    if name not in ("root", "0"):
        return
    instr = find_instruction(runner, runner.user_line)
    loc = (
        df.location(instr, instr.body or None)
        if instr is not None
        else Location(df.path, runner.user_line or 1)
    )
    yield Finding(
        "FLY701",
        f"the runner stage's last USER is {user}: the app runs as root",
        loc,
        fix="switch to an unprivileged user (`USER nobody`) after the steps that need root",
        key=stage_key(df, runner, "USER"),
    )


# -- FLY702 ---------------------------------------------------------------------------------------


def _env_source(stage: Stage, instr: Instruction, name: str) -> Instruction | None:
    """The last ENV/ARG before instr (in stage or the stages it is built FROM) that sets name."""
    for s in stage.lineage():
        best = None
        for item in s.instructions:
            if s is stage and item.line >= instr.line:
                break
            if item.keyword in ("ENV", "ARG") and any(p[0] == name for p in item.pairs):
                if item.keyword == "ARG" and best is not None and best.keyword == "ENV":
                    continue  # ENV wins over a later ARG of the same name
                best = item
        if best is not None:
            return best
    return None


@rule("FLY702")
def check_mix_env_not_prod(app: App) -> Iterable[Finding]:
    df = getattr(app, "dockerfile", None)
    if df is None:
        return
    for stage, instr, match in release_stages(df):
        text = run_text(instr)
        inline = [m for m in _INLINE_MIX_ENV.finditer(text) if m.start() < match.start()]
        key = stage_key(df, stage, "MIX_ENV")
        if inline:
            value = inline[-1].group(1).strip("\"'")
            if value == "prod" or "$" in value:
                continue
            yield Finding(
                "FLY702",
                f"`mix release` in {stage_text(stage)} runs with MIX_ENV={value}, not prod",
                df.location(instr, "MIX_ENV="),
                fix="build the release with MIX_ENV=prod",
                key=key,
            )
            continue
        values = stage.vars_at(instr)
        if "MIX_ENV" not in values:
            yield Finding(
                "FLY702",
                f"`mix release` in {stage_text(stage)} runs without MIX_ENV, so it builds a dev "
                "release (dev config and dependencies, _build/dev)",
                df.location(instr, match.group()),
                fix='add `ENV MIX_ENV="prod"` before the dependencies are fetched',
                key=key,
            )
            continue
        value = values["MIX_ENV"]
        if value is None or "$" in value or value.strip() == "prod":
            continue
        source = _env_source(stage, instr, "MIX_ENV")
        loc = df.location(source, "MIX_ENV") if source else df.location(instr, match.group())
        yield Finding(
            "FLY702",
            f"`mix release` in {stage_text(stage)} runs with MIX_ENV={value or '(empty)'}, not prod",
            loc,
            related=(df.location(instr, match.group(), "mix release runs here"),),
            fix='set `ENV MIX_ENV="prod"` in the stage that runs `mix release`',
            key=key,
        )


# -- FLY703 ---------------------------------------------------------------------------------------

# Words that mark an env file as a committed template (`.env.example`, `.env_sample`,
# `.env-template`): it lists variable names, it is not where local secrets live.
_ENV_TEMPLATE_WORDS = frozenset({"example", "examples", "sample", "template", "dist", "tmpl"})
_CERT_HINTS = ("cert", "ca", "chain", "bundle", "root", "public", "pub")
_WHOLE_CONTEXT = {".", "./", "*", "./*"}
_MUST_IGNORE = (".env", "_build", "deps", ".git")


def copy_sources(instr: Instruction) -> list[str]:
    """The build-context sources of a COPY/ADD (none for --from, heredocs or URLs)."""
    if instr.flags.get("from"):
        return []
    args = instr.args
    if len(args) < 2:
        return []
    out = []
    for src in args[:-1]:
        if src.startswith("<<") or "://" in src or src.startswith("git@"):
            continue
        out.append(src)
    return out


def _clean(src: str) -> str:
    path = posixpath.normpath(src.lstrip("/")) if src not in _WHOLE_CONTEXT else src
    return path[2:] if path.startswith("./") else path


def _private_key_file(app: App, src: str) -> bool | None:
    """True when the context file holds a private key, False when it is readable and holds none,
    None when it cannot be read (missing, a glob, a directory)."""
    if any(c in src for c in "*?["):
        return None
    try:
        text = app.source(context_path(app, src))
    except Exception:  # a stand-in App without a file system
        return None
    if text is None:
        return None
    return "PRIVATE KEY" in text.text


def _env_template(name: str) -> bool:
    """`.env.example`, `.env_sample`, `.env-template.local`: a word after `.env` marks a template."""
    return bool(_ENV_TEMPLATE_WORDS & set(re.split(r"[._-]+", name[len(".env") :])))


def secret_file_kind(app: App, src: str) -> str | None:
    """Why a COPY source is a secrets file, or None."""
    path = _clean(src)
    parts = [p for p in path.split("/") if p]
    if ".git" in parts:
        inside = parts[parts.index(".git") + 1 :]
        if inside[:1] in (["HEAD"], ["refs"]):
            return None  # commit ids only: the generated .dockerignore keeps them on purpose
        return "the git repository (history, remotes, maybe credentials)"
    base = parts[-1] if parts else path
    lower = base.lower()
    if lower == ".env" or (lower.startswith(".env") and not _env_template(lower)):
        return "an environment file (local secrets)"
    if lower.endswith(".secret.exs"):
        return "a *.secret.exs config (literal secrets)"
    if lower.endswith(".key"):
        return "a private key"
    if lower.endswith(".pem"):
        holds_key = _private_key_file(app, path)
        if holds_key is False:
            return None
        if holds_key is None and any(h in lower for h in _CERT_HINTS) and "key" not in lower:
            return None  # most likely a CA bundle or certificate (public)
        return "a PEM file that may hold a private key"
    return None


@rule("FLY703")
def check_copies_secret_files(app: App) -> Iterable[Finding]:
    df = getattr(app, "dockerfile", None)
    if df is None:
        return
    ignore = None
    ignore_read = False
    for stage in df.stages:
        for instr in stage.copies:
            for src in copy_sources(instr):
                key = stage_key(df, stage, f"{instr.keyword} {src}")
                if src in _WHOLE_CONTEXT:
                    if not ignore_read:
                        ignore, ignore_read = _read_ignore(app), True
                    finding = _whole_context(app, df, stage, instr, src, ignore, key)
                    if finding is not None:
                        yield finding
                    continue
                kind = secret_file_kind(app, src)
                if kind is None:
                    continue
                yield Finding(
                    "FLY703",
                    f"{instr.keyword} {src} ({stage_text(stage)}) puts {kind} into an image layer",
                    df.location(instr, src),
                    fix="remove it from the COPY and from the context (.dockerignore); pass "
                    "build-time secrets with `fly deploy --build-secret` and runtime ones with "
                    "`fly secrets set`",
                    key=key,
                )


def _read_ignore(app: App):
    """(DockerIgnore or None, path) — None when there is no ignore file; False when unreadable."""
    path = getattr(app, "dockerignore_path", None) or context_path(app, ".dockerignore")
    if not getattr(app, "dockerignore_exists", False):
        return None, path
    try:
        src = app.source(path)
    except Exception:
        src = None
    if src is None:
        return False, path
    return parse_dockerignore(src.text), path


def _whole_context(app, df, stage, instr, src, ignore_info, key) -> Finding | None:
    ignore, path = ignore_info
    if ignore is False:
        return None  # an ignore file we cannot read: cannot decide
    copied = f"{instr.keyword} {' '.join(instr.args)}"
    if ignore is None:
        return Finding(
            "FLY703",
            f"{copied} ({stage_text(stage)}) copies the whole build context and there is no "
            f"{path}: .env files, _build, deps and .git all go into the image",
            df.location(instr, src),
            severity="warning",
            fix="add a .dockerignore excluding .env*, _build/, deps/ and .git, or copy only "
            "the paths the build needs",
            key=key,
        )
    missing = [name for name in _MUST_IGNORE if not ignore.excludes(name)]
    if not missing:
        return None
    return Finding(
        "FLY703",
        f"{copied} ({stage_text(stage)}) copies the whole build context but {path} does not "
        f"exclude {', '.join(missing)}",
        df.location(instr, src),
        related=(Location(path, 1, 1, label=".dockerignore"),),
        severity="warning",
        fix=f"add {', '.join(_ignore_line(m) for m in missing)} to {path}",
        key=key,
    )


def _ignore_line(name: str) -> str:
    return {".env": ".env*", "_build": "/_build/", "deps": "/deps/", ".git": ".git"}[name]


# -- FLY704 ---------------------------------------------------------------------------------------


@rule("FLY704")
def check_unpinned_base_image(app: App) -> Iterable[Finding]:
    df = getattr(app, "dockerfile", None)
    if df is None:
        return
    for stage in df.stages:
        if stage.parent is not None or not stage.base_resolved:
            continue
        base = stage.base.strip()
        if not base or "$" in base or base.lower() == "scratch":
            continue
        _, tag, digest = split_image(base)
        if digest:
            continue
        if tag is None:
            problem = "has no tag, so it pulls :latest"
        elif tag == "latest":
            problem = "uses the moving :latest tag"
        else:
            continue
        shown = base if base == stage.base_raw else f"{stage.base_raw} (= {base})"
        yield Finding(
            "FLY704",
            f"FROM {shown} {problem}: builds are not reproducible and builder/runner can drift",
            from_location(df, stage),
            fix="pin a dated tag (e.g. debian:bookworm-20240612-slim) or a digest",
            key=stage_key(df, stage, "FROM"),
        )


# -- FLY705 ---------------------------------------------------------------------------------------


def _os_text(family: str | None, release: str | None) -> str:
    names = {"debian": "Debian", "ubuntu": "Ubuntu", "alpine": "Alpine"}
    text = names.get(family or "", family or "unknown")
    return f"{text} {release}" if release else text


@rule("FLY705")
def check_builder_runner_os_mismatch(app: App) -> Iterable[Finding]:
    found = runner_of(app)
    if found is None:
        return
    df, runner = found
    builder = builder_of(df, runner)
    if builder is None or builder is runner or builder in runner.lineage():
        return
    b_root, r_root = builder.root(), runner.root()
    if not (b_root.base_resolved and r_root.base_resolved):
        return
    b_family, b_release = image_os(b_root.base)
    r_family, r_release = image_os(r_root.base)
    if b_family is None or r_family is None:
        return
    if b_family == r_family and (b_release is None or r_release is None or b_release == r_release):
        return
    yield Finding(
        "FLY705",
        f"the release is built on {_os_text(b_family, b_release)} ({b_root.base}) but runs on "
        f"{_os_text(r_family, r_release)} ({r_root.base}): it links against the builder's "
        "libc and OpenSSL and can fail at boot",
        from_location(df, r_root),
        related=(from_location(df, b_root, f"builder {stage_text(builder)}"),),
        fix="use the same OS release in both stages (one DEBIAN_VERSION ARG for builder and runner)",
        key=stage_key(df, runner, "FROM"),
    )


# -- FLY706 ---------------------------------------------------------------------------------------

_UTF8 = re.compile(r"utf-?8", re.IGNORECASE)
_LOCALE_SETUP = re.compile(
    r"locale-gen|localedef|locales-all|update-locale|dpkg-reconfigure\s+locales"
)
_C_LOCALES = {"c.utf-8", "c.utf8", "posix.utf-8", "posix.utf8"}


def _effective_locale(stage: Stage) -> tuple[str, str] | None:
    """(variable, value) that decides the character set: LC_ALL, else LC_CTYPE, else LANG."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = stage.env.get(name)
        if value:
            return name, value
    return None


def base_sets_utf8(image: str) -> bool:
    """The base image already sets `LANG=C.UTF-8`: the official `elixir` images (every variant)
    and hexpm's Debian/Ubuntu `hexpm/elixir` and `hexpm/erlang` images (their Alpine ones do
    not)."""
    name, _, _ = split_image(image.lower())
    name = name.removeprefix("docker.io/").removeprefix("library/")
    if name == "elixir":
        return True
    if name in ("hexpm/elixir", "hexpm/erlang"):
        return image_os(image)[0] in ("debian", "ubuntu")
    return False


def runs_beam(app: App, df: Dockerfile, runner: Stage) -> bool:
    """The image runs an Erlang VM: the fly config deploys a mix project, a stage builds a
    release, the runner copies one in, or its base is an Elixir/Erlang image. A Grafana sidecar
    or a static site next to the app does not."""
    if getattr(app, "mix_root", None) is not None or any(True for _ in release_stages(df)):
        return True
    for instr in runner.copies:
        if any("_build" in a or "/rel/" in a for a in instr.args[:-1]):
            return True
    base = split_image((runner.root().base or "").lower())[0]
    return bool(re.search(r"(?:^|/)(?:elixir|erlang)$", base))


@rule("FLY706")
def check_locale_missing(app: App) -> Iterable[Finding]:
    found = runner_of(app)
    if found is None:
        return
    df, runner = found
    if not runs_beam(app, df, runner):
        return  # the latin1 fallback is the Erlang VM's
    key = stage_key(df, runner, "LANG")
    effective = _effective_locale(runner)
    root = runner.root()
    if effective is None and root.base_resolved and base_sets_utf8(root.base):
        return
    if effective is None:
        yield Finding(
            "FLY706",
            f"the runner {stage_text(runner)} sets no UTF-8 LANG or LC_ALL: the BEAM starts "
            "with latin1 file name encoding and warns about it",
            df.line_one(),
            related=(from_location(df, runner, "runner stage starts here"),),
            fix="add `ENV LANG=C.UTF-8` (or generate en_US.UTF-8 with locale-gen and use it)",
            key=key,
        )
        return
    name, value = effective
    if name in runner.env_unresolved or "$" in value:
        return
    instr = find_instruction(runner, runner.env_lines.get(name))
    loc = df.location(instr, name) if instr is not None else df.line_one()
    if not _UTF8.search(value):
        yield Finding(
            "FLY706",
            f"the runner stage sets {name}={value}, which is not a UTF-8 locale",
            loc,
            fix=f"set {name} to a UTF-8 locale such as C.UTF-8",
            key=key,
        )
        return
    if value.lower() in _C_LOCALES:
        return
    family, _ = image_os(runner.root().base) if runner.root().base_resolved else (None, None)
    repo = split_image(runner.root().base.lower())[0].rsplit("/", 1)[-1]
    if family not in ("debian", "ubuntu") or repo not in ("debian", "ubuntu"):
        return  # other bases may ship the locale already
    if any(
        _LOCALE_SETUP.search(run_text(i))
        for s in runner.lineage()
        for i in s.instructions
        if i.keyword == "RUN"
    ):
        return
    yield Finding(
        "FLY706",
        f"the runner stage sets {name}={value} but never generates that locale (no locale-gen "
        f"on {runner.root().base}), so the BEAM still falls back to latin1",
        loc,
        fix="use C.UTF-8, or install `locales` and run locale-gen for it",
        key=key,
    )


# -- FLY707 ---------------------------------------------------------------------------------------


@rule("FLY707")
def check_dockerignore_missing(app: App) -> Iterable[Finding]:
    df = getattr(app, "dockerfile", None)
    if df is None or getattr(app, "dockerignore_exists", False):
        return
    path = getattr(app, "dockerignore_path", None) or context_path(app, ".dockerignore")
    yield Finding(
        "FLY707",
        f"no {path}: the whole build context (_build, deps, .git, any .env file) is sent to the "
        "builder on every deploy",
        df.line_one(),
        fix=f"add {path} excluding .git, /_build/, /deps/ and .env*",
        key=f"{df.path}:dockerignore",
    )
