"""FLY6xx: secrets committed to the repository, and secrets mishandled at build or boot time.

Every value goes through the one detector (`flylint.secrets.detector.classify`); this module only
knows *where* to look and which rule owns each place:

- FLY601 fly.toml `[env]`; FLY602 `[build.args]` and Dockerfile `ARG`/`ENV` (every stage) and
  `RUN` literals; FLY603 prod-applicable Elixir config (through the evaluator, so `dev.exs` and
  `test.exs` never count) and release scripts; FLY604 workflows (CI `services:` exempt);
  FLY605 Erlang cookies wherever they are; FLY606 known token formats in every file read;
  FLY607 fly.toml `[[files]] raw_value` and check `headers`; FLY608 compile-time config reading a
  secret from the environment; FLY609 release scripts printing a secret variable.

Messages show a secret only through `mask()` (first ≤ 4 characters and the length; URL passwords
as `****`), and every finding carries a value-free `key` for baselines.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator

from flylint.checks import app_workflows, rule
from flylint.findings import Finding, Location
from flylint.model import App
from flylint.records import record
from flylint.secrets.detector import (
    Detection,
    classify,
    find_known_tokens,
    is_placeholder,
    is_reference,
    is_secret_name,
    kind_label,
    name_class,
)
from flylint.secrets.mask import URL_PASSWORD_MASK, mask
from flylint.secrets.redact import safe_text
from flylint.sources import SourceFile

ROTATE = "rotate it: it stays in git history"
_DEV_TEST_FILE = re.compile(r"(?:^|/)(?:dev|test)(?:\.secret)?\.exs$|(?:^|/)test/")


# -- shared helpers -------------------------------------------------------------------------------


@record(frozen=True)
class _Hit:
    """A detection in a value, with the text it was found in."""

    detection: Detection
    value: str

    @property
    def secret(self) -> str:
        return self.value[self.detection.start : self.detection.end]

    @property
    def kind(self) -> str:
        return self.detection.kind

    def describe(self) -> str:
        """`a GitHub token (ghp_…(len 40))`: what it is and the masked value, never the value."""
        return f"{_article(kind_label(self.kind))} ({self.shown()})"

    def shown(self) -> str:
        if self.kind != "url-password":
            return mask(self.secret)
        d, v = self.detection, self.value
        start = d.start
        while start > 0 and not v[start - 1].isspace() and v[start - 1] not in "\"'`":
            start -= 1
        end = d.end
        while end < len(v) and not v[end].isspace() and v[end] not in "\"'`":
            end += 1
        shown = safe_text(v[start : d.start] + URL_PASSWORD_MASK + v[d.end : end])
        return shown if len(shown) <= 100 else shown[:99] + "…"

    @property
    def severity(self) -> str | None:
        # Test-mode Stripe keys reach only the test account: a leak, but a smaller one.
        return "warning" if self.kind == "stripe-test-key" else None


def _article(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def _scan(name: str | None, value: str, context: str) -> _Hit | None:
    """The first secret in `value` under `name`; for command lines also the `NAME=value` pairs."""
    if not isinstance(value, str) or not value.strip():
        return None
    d = classify(name, value, context)
    if d is None and name is not None and _looks_like_command(value):
        d = classify(None, value, context)
    return _Hit(d, value) if d is not None else None


def _scan_all(value: str, context: str) -> Iterator[tuple[int, _Hit]]:
    """Every secret in a command line / script line: (offset of the hit's text, hit)."""
    pos, guard = 0, 0
    while pos < len(value) and guard < 50:
        guard += 1
        part = value[pos:]
        d = classify(None, part, context)
        if d is None:
            return
        yield pos, _Hit(d, part)
        pos += max(d.end, 1)


def _looks_like_command(value: str) -> bool:
    return " " in value.strip() and ("=" in value or " -" in value)


def _is_literal(value: str) -> bool:
    """A non-empty literal that is not a reference or template (for cookies: it *is* the cookie)."""
    v = value.strip().strip("\"'").strip()
    if not v or is_reference(v):
        return False
    return not any(t in v for t in ("$", "<%", "#{", "{{", "%{"))


def _is_cookie_name(name: str | None) -> bool:
    return name_class(name) == "cookie"


def _narrow(src: SourceFile | None, loc: Location, needle: str, label: str = "") -> Location:
    """The span of `needle` inside `loc` (from its start to the end of its last line; the needle
    may span lines, like a PEM block), else `loc` itself."""
    if src is None or not needle:
        return loc
    starts = _line_starts(src.text)
    begin = _offset(starts, loc.line, loc.column)
    last = min(max(loc.end_line or loc.line, loc.line), len(starts))
    stop = starts[last] if last < len(starts) else len(src.text)
    found = src.text.find(needle, begin, max(stop, begin + len(needle)))
    if found < 0:
        return loc
    return _offset_location(loc.path, starts, found, found + len(needle)).with_label(label)


def _find_from(src: SourceFile | None, path: str, line: int, column: int, needle: str) -> Location:
    """Where `needle` is written at or after (line, column), within a few lines; else a point
    at (line, column)."""
    point = Location(path, max(line, 1), max(column, 1), max(line, 1), max(column, 1) + 1)
    window = Location(path, point.line, point.column, point.line + 40 + needle.count("\n"), 1)
    loc = _narrow(src, window, needle)
    if loc is window and "\n" in needle.strip():
        # A heredoc's value is dedented: find its first and last lines one by one.
        lines = [x.strip() for x in needle.strip().split("\n") if x.strip()]
        first = _narrow(src, window, lines[0])
        if first is not window:
            after = Location(path, first.line, first.column, first.line + len(lines) + 40, 1)
            last = _narrow(src, after, lines[-1])
            if last is not after:
                return Location(path, first.line, first.column, last.end_line, last.end_column)
    return point if loc is window else loc


def _offset(starts: list[int], line: int, column: int) -> int:
    """Text offset of a 1-based (line, column)."""
    index = min(max(line, 1), len(starts)) - 1
    return starts[index] + max(column, 1) - 1


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def _offset_location(path: str, starts: list[int], start: int, end: int) -> Location:
    from bisect import bisect_right

    def pos(offset: int) -> tuple[int, int]:
        i = bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    line, col = pos(start)
    end_line, end_col = pos(end)
    return Location(path, line, col, end_line, end_col)


def _shared(app: App, scan: Callable[[App], Iterable[Finding]]) -> list[Finding]:
    """scan(app), run once per app: the fly.toml, build-arg, Dockerfile and release-script scans
    each serve their own rule and FLY605 (cookies), and each rule keeps its share."""
    extra = getattr(app, "extra", None)
    if not isinstance(extra, dict):
        return list(scan(app))
    done = extra.setdefault("secret-scans", {})
    if scan.__name__ not in done:
        done[scan.__name__] = list(scan(app))
    return done[scan.__name__]


def _elixir(app: App):
    return (getattr(app, "extra", None) or {}).get("elixir")


def _fly_source(app: App) -> SourceFile | None:
    fly = getattr(app, "fly", None)
    return getattr(fly, "source", None)


def _mix_root(app: App) -> str:
    proj = _elixir(app)
    return getattr(proj, "mix_root", None) or getattr(app, "mix_root", None) or "."


def _rel_scripts(app: App) -> list[str]:
    """rel/env.sh.eex and rel/overlays/bin/* of the app's mix project (as the Elixir model read
    them), in a stable order."""
    proj = _elixir(app)
    if proj is None:
        return []
    return sorted(getattr(proj, "scripts", None) or {})


def _vm_args_files(app: App) -> list[str]:
    if _elixir(app) is None:
        return []
    from flylint.parsers.elixir.project import project_glob

    rel = posixpath.normpath(posixpath.join(_mix_root(app), "rel"))
    try:
        found = project_glob(app.fs)(f"{rel}/*vm.args*")
    except OSError:
        return []
    return sorted(found)


def _finding(
    rule_id: str,
    message: str,
    location: Location,
    key: str,
    fix: str | None = None,
    severity: str | None = None,
    related: tuple[Location, ...] = (),
) -> Finding:
    return Finding(rule_id, message, location, related=related, fix=fix, severity=severity, key=key)


# -- fly.toml [env] (FLY601, cookies FLY605) -------------------------------------------------------


def _fly_table_findings(
    app: App, values, label: str, key_prefix: str, context: str, secret_finding
) -> Iterator[Finding]:
    """Secrets in a fly.toml name -> value table ([env], [build.args]): cookies are FLY605, other
    secrets whatever `secret_finding(name, hit, location, key)` makes of them."""
    fly = getattr(app, "fly", None)
    if not isinstance(values, dict):
        return
    src = _fly_source(app)
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        key = f"{key_prefix}.{name}"
        loc = fly.locate(key)
        if _is_cookie_name(name):
            if _is_literal(value):
                secret = value.strip()
                yield _cookie_finding(f"{label} {name}", secret, _narrow(src, loc, secret), key)
            continue
        hit = _scan(name, value, context)
        if hit is None:
            continue
        if hit.kind == "cookie":
            yield _cookie_finding(f"{label} {name}", hit.secret, _narrow(src, loc, hit.secret), key)
            continue
        yield secret_finding(name, hit, _narrow(src, loc, hit.secret), key)


def _fly_env_findings(app: App) -> Iterator[Finding]:
    def secret_finding(name, hit, location, key):
        return _finding(
            "FLY601",
            f"[env] {name} holds {hit.describe()}; fly.toml is committed and [env] is shown in "
            "the Machine config",
            location,
            key,
            fix=f"run `fly secrets set {name}=…`, delete it from [env], and {ROTATE}",
            severity=hit.severity,
        )

    env = getattr(getattr(app, "fly", None), "env", None)
    return _fly_table_findings(app, env, "[env]", "env", "fly_env", secret_finding)


@rule("FLY601")
def check_secret_in_fly_env(app: App) -> Iterable[Finding]:
    return [f for f in _shared(app, _fly_env_findings) if f.rule == "FLY601"]


# -- build args and the Dockerfile (FLY602, cookies FLY605) ----------------------------------------

_DOCKER_PAIR_RE = re.compile(
    r"""(?<!\S)([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|(?:\\.|[^\s\\])*)"""
)
_DOCKER_LEGACY_RE = re.compile(r"^\s*ENV\s+([A-Za-z_][\w.-]*)\s+(.*?)\s*(?:\\)?$", re.IGNORECASE)


def _build_arg_findings(app: App) -> Iterator[Finding]:
    def secret_finding(name, hit, location, key):
        return _finding(
            "FLY602",
            f"[build.args] {name} holds {hit.describe()}; build args are committed and readable "
            "in the image metadata",
            location,
            key,
            fix=f"pass it with `fly deploy --build-secret {name}=…` and "
            f"`RUN --mount=type=secret,id={name}`, then {ROTATE}",
            severity=hit.severity,
        )

    args = getattr(getattr(getattr(app, "fly", None), "build", None), "args", None)
    return _fly_table_findings(app, args, "[build.args]", "build.args", "build_arg", secret_finding)


def _docker_pairs(src: SourceFile, instr) -> Iterator[tuple[str, str, int, int]]:
    """(name, raw value, line, 0-based column of the value) of an ENV/ARG instruction, read from
    the source as written (quotes kept, nothing expanded)."""
    keyword_len = len(getattr(instr, "raw_keyword", "") or instr.keyword)
    found = False
    for number in range(instr.line, instr.end_line + 1):
        text = src.line(number)
        offset = instr.column - 1 + keyword_len if number == instr.line else 0
        if number == instr.line and text.lstrip().startswith("#"):
            continue
        for m in _DOCKER_PAIR_RE.finditer(text, offset):
            found = True
            yield m.group(1), m.group(2), number, m.start(2)
    if not found and instr.keyword == "ENV":
        text = src.line(instr.line)
        m = _DOCKER_LEGACY_RE.match(text)
        if m:
            yield m.group(1), m.group(2), instr.line, m.start(2)


def _dockerfile_findings(app: App) -> Iterator[Finding]:
    df = getattr(app, "dockerfile", None)
    src = getattr(df, "source", None)
    if df is None or src is None:
        return
    runner = getattr(df, "runner", None)
    runner_ids = {id(s) for s in runner.lineage()} if runner is not None else set()
    stages = {s.index: s for s in getattr(df, "stages", [])}
    for instr in getattr(df, "instructions", []):
        if instr.keyword not in ("ENV", "ARG", "RUN"):
            continue
        stage = stages.get(instr.stage_index) if instr.stage_index is not None else None
        label = stage.label if stage is not None else "global"
        in_runner = stage is not None and id(stage) in runner_ids
        if instr.keyword == "RUN":
            yield from _run_findings(df, src, instr, label)
            continue
        ctx = "build_arg" if instr.keyword == "ARG" else "dockerfile_env"
        for name, raw, number, col in _docker_pairs(src, instr):
            key = f"{df.path}:stage {label}:{instr.keyword} {name}"

            def at(needle: str, raw=raw, number=number, col=col) -> Location:
                start = raw.find(needle) if needle else -1
                start = col + (start if start >= 0 else 0)
                length = len(needle) if needle else max(len(raw), 1)
                return Location(df.path, number, start + 1, number, start + length + 1)

            where = f"{instr.keyword} {name} in stage {label}"
            if _is_cookie_name(name):
                if _is_literal(raw):
                    value = raw.strip().strip("\"'")
                    yield _cookie_finding(where, value, at(value), key)
                continue
            hit = _scan(name, raw, ctx)
            if hit is not None:
                if hit.kind == "cookie":
                    yield _cookie_finding(where, hit.secret, at(hit.secret), key)
                    continue
                layer = "the image metadata" if instr.keyword == "ARG" else "the image layers"
                yield _finding(
                    "FLY602",
                    f"{where} holds {hit.describe()}; it is committed and readable in {layer}",
                    at(hit.secret),
                    key,
                    fix=f"use a build secret (`RUN --mount=type=secret,id={name}`) or a Fly "
                    f"secret at runtime, then {ROTATE}",
                    severity=hit.severity,
                )
                continue
            value = raw.strip().strip("\"'")
            if (
                in_runner
                and instr.keyword == "ENV"
                and value
                and is_secret_name(name)
                and is_placeholder(value)
                and not is_reference(value)
            ):
                shown = f"`{value}`" if len(value) <= 12 else mask(value)
                yield _finding(
                    "FLY602",
                    f"{where} sets the placeholder {shown} in the runner image: the app runs "
                    "with it unless a Fly secret of the same name overrides it",
                    at(value),
                    key,
                    fix=f"set the placeholder only in the build stage (or on the RUN that needs "
                    f"it) and keep {name} a Fly secret",
                    severity="info",
                )


def _run_findings(df, src: SourceFile, instr, label: str) -> Iterator[Finding]:
    if re.search(r"--mount=\S*type=secret", instr.value or ""):
        return  # BuildKit secret mounts are the way to do it; never a finding
    for number in range(instr.line, instr.end_line + 1):
        text = src.line(number)
        if text.lstrip().startswith("#"):
            continue
        for offset, hit in _scan_all(text, "shell"):
            if hit.kind == "cookie":
                continue  # `-setcookie` on a RUN line: rare, and FLY606 still sees tokens
            start = offset + hit.detection.start
            yield _finding(
                "FLY602",
                f"RUN in stage {label} passes {hit.describe()} on its command line, which "
                "stays in the image history",
                Location(df.path, number, start + 1, number, start + len(hit.secret) + 1),
                f"{df.path}:stage {label}:RUN {kind_label(hit.kind)}",
                fix=f"pass it with `RUN --mount=type=secret,...` and a build secret, then {ROTATE}",
                severity=hit.severity,
            )


@rule("FLY602")
def check_secret_in_build_args(app: App) -> Iterable[Finding]:
    found = [*_shared(app, _build_arg_findings), *_shared(app, _dockerfile_findings)]
    return [f for f in found if f.rule == "FLY602"]


# -- Elixir config (FLY603) -----------------------------------------------------------------------


@record(unsafe_hash=True)  # built for every config leaf; never changed
class _Leaf:
    names: tuple[str, ...]  # app, then keys (modules spelled Elixir.Foo)
    value: object  # a flylint.parsers.elixir.values.Value
    fallback_of: str | None = None  # env var whose literal default this is


def _config_leaves(view: dict) -> Iterator[_Leaf]:
    from flylint.parsers.elixir.values import (
        Atom,
        EnvRef,
        KeywordList,
        ListValue,
        Literal,
        MapValue,
        TupleValue,
    )

    stack: list[_Leaf] = [_Leaf((app,), kw) for app, kw in reversed(list(view.items()))]
    seen = 0
    while stack and seen < 100_000:
        seen += 1
        leaf = stack.pop()
        v = leaf.value
        if isinstance(v, KeywordList):
            stack.extend(_Leaf((*leaf.names, k), item) for k, item in reversed(v.entries))
        elif isinstance(v, ListValue):
            stack.extend(_Leaf(leaf.names, item, leaf.fallback_of) for item in reversed(v.items))
        elif isinstance(v, TupleValue):
            first = v.items[0] if v.items else None
            if isinstance(first, Atom) and first.name == "system":
                continue  # {:system, "VAR"}: a reference
            stack.extend(_Leaf(leaf.names, item, leaf.fallback_of) for item in reversed(v.items))
        elif isinstance(v, MapValue):
            for k, item in reversed(v.pairs):
                name = (
                    k.value
                    if isinstance(k, Literal) and isinstance(k.value, str)
                    else k.name
                    if isinstance(k, Atom)
                    else None
                )
                stack.append(_Leaf((*leaf.names, name) if name else leaf.names, item))
        elif isinstance(v, EnvRef):
            yield leaf
            if v.default is not None:
                stack.append(_Leaf(leaf.names, v.default, v.name))
        else:
            yield leaf


def _leaf_name(names: tuple[str, ...]) -> str | None:
    for name in reversed(names[1:]):
        if isinstance(name, str) and not name.startswith("Elixir."):
            return name
    return None


def _config_key(file: str, names: tuple[str, ...]) -> str:
    parts = [n[7:] if n.startswith("Elixir.") else n for n in names if isinstance(n, str)]
    return f"{file}:{'.'.join(parts)}"


def _config_where(names: tuple[str, ...]) -> str:
    """`secret_key in config :my_app, MyApp.Guardian` for messages."""
    mods = [n[7:] for n in names[1:] if isinstance(n, str) and n.startswith("Elixir.")]
    keys = [n for n in names[1:] if isinstance(n, str) and not n.startswith("Elixir.")]
    head = ", ".join([f"config :{names[0]}", *mods])
    return f"{'.'.join(keys)} in {head}" if keys else head


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _runtime_override(config, names: tuple[str, ...]):
    """The value config/runtime.exs sets, unconditionally for prod, at the same key path as a
    compile-time leaf (runtime config is deep-merged over it at boot), or None."""
    from flylint.parsers.elixir.values import KeywordList

    runtime = getattr(config, "runtime", None)
    value = runtime.get(names[0]) if isinstance(runtime, dict) and names else None
    for key in names[1:]:
        if not isinstance(value, KeywordList) or value.conditional is not None:
            return None
        value = value.get(key)
    if value is None or getattr(value, "conditional", None) is not None:
        return None
    return value


def _override_note(config, leaf: _Leaf) -> tuple[str, Location] | None:
    """(message suffix, related location) when runtime.exs replaces a compile-time leaf."""
    if leaf.fallback_of is not None:
        return None  # the fallback of a read: the read itself is what runtime may replace
    override = _runtime_override(config, leaf.names)
    file = getattr(override, "file", None)
    if override is None or not file:
        return None
    loc = override.location("replaced at boot here")
    return f" (replaced at boot by {file}:{override.line}, so prod runs without it)", loc


def _elixir_config_findings(app: App) -> Iterator[Finding]:
    from flylint.parsers.elixir.values import Charlist, Literal, Unknown

    proj = _elixir(app)
    config = getattr(proj, "config", None)
    if config is None:
        return
    seen: set[tuple[str, int, int]] = set()
    for view in (config.compile_time, config.runtime):
        for leaf in _config_leaves(view):
            v = leaf.value
            file = getattr(v, "file", "") or ""
            if not file or _DEV_TEST_FILE.search(file):
                continue
            if isinstance(v, Literal) and isinstance(v.value, str):
                text = _quoted(v.value)
            elif isinstance(v, Charlist):
                text = _quoted(v.text)
            elif isinstance(v, Unknown):
                text = v.source_text
            else:
                continue
            name = _leaf_name(leaf.names)
            hit = _scan(name, text, "elixir_config")
            if hit is None and leaf.fallback_of and leaf.fallback_of != name:
                hit = _scan(leaf.fallback_of, text, "elixir_config")
            if hit is None:
                continue
            spot = (file, v.line, v.column)
            if spot in seen:
                continue
            seen.add(spot)
            src = app.source(file)
            loc = _find_from(src, file, v.line, v.column, hit.secret)
            where = _config_where(leaf.names)
            if leaf.fallback_of:
                what = f'the fallback of System.get_env("{leaf.fallback_of}") for {where}'
            else:
                what = where
            # A committed literal that runtime.exs always replaces is not what prod uses: info.
            note = _override_note(config, leaf) if view is config.compile_time else None
            if note is not None:
                yield _finding(
                    "FLY603",
                    f"{what} is {hit.describe()} committed in {file}{note[0]}",
                    loc,
                    _config_key(file, leaf.names),
                    fix=f"move the literal to config/dev.exs and config/test.exs, then {ROTATE}",
                    severity="info",
                    related=(note[1],),
                )
                continue
            yield _finding(
                "FLY603",
                f"{what} is {hit.describe()} in {file}, which applies to prod",
                loc,
                _config_key(file, leaf.names),
                fix=f"read it at runtime in config/runtime.exs with System.fetch_env!/1 and "
                f"`fly secrets set`, then {ROTATE}",
                severity=hit.severity,
            )


_SHELL_ASSIGN_RE = re.compile(
    r"""(?<![\w$/.-])([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s;&|]*)"""
)


def _script_findings(app: App) -> Iterator[Finding]:
    """Release scripts: cookies (FLY605) and other literal secrets (FLY603)."""
    for path in _rel_scripts(app):
        src = app.source(path)
        if src is None:
            continue
        for number, text in enumerate(src.lines, start=1):
            stripped = text.strip()
            if not stripped or stripped.startswith(("#", "::", "REM ", "rem ")):
                continue
            reported: set[int] = set()
            for m in _SHELL_ASSIGN_RE.finditer(text):
                name, raw = m.group(1), m.group(2)
                key = f"{path}:{name}"
                if _is_cookie_name(name) and _is_literal(raw):
                    value = raw.strip().strip("\"'")
                    col = m.start(2) + raw.find(value)
                    reported.add(col)
                    yield _cookie_finding(
                        f"{name} in {path}",
                        value,
                        Location(path, number, col + 1, number, col + len(value) + 1),
                        key,
                    )
            for offset, hit in _scan_all(text, "shell"):
                start = offset + hit.detection.start
                if start in reported:
                    continue
                loc = Location(path, number, start + 1, number, start + len(hit.secret) + 1)
                if hit.kind == "cookie":
                    yield _cookie_finding(f"a cookie in {path}", hit.secret, loc, f"{path}:cookie")
                    continue
                yield _finding(
                    "FLY603",
                    f"{path} holds {hit.describe()}; release scripts are committed and copied "
                    "into the image",
                    loc,
                    f"{path}:{kind_label(hit.kind)}",
                    fix=f"set it with `fly secrets set` and read the environment variable "
                    f"instead, then {ROTATE}",
                    severity=hit.severity,
                )


@rule("FLY603")
def check_secret_in_elixir_config(app: App) -> Iterable[Finding]:
    found = [*_elixir_config_findings(app), *_shared(app, _script_findings)]
    return [f for f in found if f.rule == "FLY603"]


# -- workflows (FLY604) ---------------------------------------------------------------------------


def _workflow_findings(app: App) -> Iterator[Finding]:
    for wf in app_workflows(app):
        src = wf.source
        places: list[tuple[str, str, object]] = []  # (where, key, entries)
        places.append(("workflow env", "env", wf.env))
        for job in wf.jobs:
            jk = f"jobs.{job.key}"
            places.append((f"job {job.key} env", f"{jk}.env", job.env))
            places.append((f"job {job.key} with", f"{jk}.with", job.with_))
            places.append((f"job {job.key} secrets", f"{jk}.secrets", job.secrets))
            if job.container is not None:
                places.append((f"job {job.key} container", f"{jk}.container", job.container.env))
            for step in job.steps:
                sk = f"{jk}.steps[{step.index}]"
                label = f"job {job.key} step {step.index + 1}"
                places.append((f"{label} env", f"{sk}.env", step.env))
                places.append((f"{label} with", f"{sk}.with", step.with_))
                if step.run is not None:
                    yield from _run_script_findings(wf.path, src, step.run, f"{sk}.run", label)
        for where, key, entries in places:
            for name, entry in entries.items():  # type: ignore[attr-defined]
                node = entry.value
                if node is None or wf.in_service(node.line):
                    continue
                hit = _scan(name, node.text, "workflow")
                if hit is None:
                    continue
                loc = node.find(hit.secret, src) or node.location()
                yield _finding(
                    "FLY604",
                    f"{where} {name} is {hit.describe()} written in the workflow instead of "
                    "${{ secrets.… }}",
                    loc,
                    f"{wf.path}:{key}.{name}",
                    fix="store it as a repository secret and use "
                    f"`${{{{ secrets.{_secret_name(name)} }}}}`, then {ROTATE}",
                    severity=hit.severity,
                )


def _secret_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", name).upper().strip("_")
    return cleaned or "SECRET"


def _run_script_findings(path: str, src: SourceFile, node, key: str, label: str):
    for line in node.text.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        for _offset, hit in _scan_all(line, "workflow"):
            loc = node.find(hit.secret, src) or node.location()
            yield _finding(
                "FLY604",
                f"{label} run script passes {hit.describe()} instead of ${{{{ secrets.… }}}}",
                loc,
                f"{path}:{key}:{kind_label(hit.kind)}",
                fix=f"store it as a repository secret and pass it through `env:`, then {ROTATE}",
                severity=hit.severity,
            )


@rule("FLY604")
def check_secret_in_workflow(app: App) -> Iterable[Finding]:
    return list(_workflow_findings(app))


# -- Erlang cookies (FLY605) ----------------------------------------------------------------------


def _cookie_finding(where: str, value: str, loc: Location, key: str) -> Finding:
    return _finding(
        "FLY605",
        f"{where} commits an Erlang cookie ({mask(value)}): whoever has it can run code on "
        "every node of the cluster",
        loc,
        key,
        fix=f"drop it from the repository and set RELEASE_COOKIE with `fly secrets set`, then "
        f"{ROTATE}",
    )


_SETCOOKIE_RE = re.compile(r"(?<![\w-])-setcookie\s+(\S+)")


def _vm_args_findings(app: App) -> Iterator[Finding]:
    for path in _vm_args_files(app):
        src = app.source(path)
        if src is None:
            continue
        for number, text in enumerate(src.lines, start=1):
            if text.lstrip().startswith("#"):
                continue
            for m in _SETCOOKIE_RE.finditer(text):
                value = m.group(1)
                if _is_literal(value):
                    loc = Location(path, number, m.start(1) + 1, number, m.end(1) + 1)
                    yield _cookie_finding(f"-setcookie in {path}", value, loc, f"{path}:-setcookie")


def _mix_cookie_findings(app: App) -> Iterator[Finding]:
    from flylint.parsers.elixir.values import KeywordList, Literal

    proj = _elixir(app)
    mixes = [getattr(proj, "mix", None), *(getattr(proj, "apps", None) or [])]
    for mix in mixes:
        releases = getattr(mix, "releases", None)
        if not isinstance(releases, dict):
            continue
        for name, options in releases.items():
            if not isinstance(options, KeywordList):
                continue
            cookie = options.get("cookie")
            if not (isinstance(cookie, Literal) and isinstance(cookie.value, str)):
                continue
            if not _is_literal(cookie.value):
                continue
            src = app.source(cookie.file)
            loc = _find_from(src, cookie.file, cookie.line, cookie.column, cookie.value)
            yield _cookie_finding(
                f"release {name} in {cookie.file}",
                cookie.value,
                loc,
                f"{cookie.file}:releases.{name}.cookie",
            )


@rule("FLY605")
def check_release_cookie(app: App) -> Iterable[Finding]:
    found = [
        *_shared(app, _fly_env_findings),
        *_shared(app, _build_arg_findings),
        *_shared(app, _dockerfile_findings),
        *_shared(app, _script_findings),
        *_vm_args_findings(app),
        *_mix_cookie_findings(app),
    ]
    return [f for f in found if f.rule == "FLY605"]


# -- known token formats anywhere (FLY606) --------------------------------------------------------


def _scanned_files(app: App) -> list[str]:
    paths: list[str] = []
    for p in (getattr(app, "config_path", None), getattr(app, "dockerfile_path", None)):
        if p:
            paths.append(p)
    proj = _elixir(app)
    paths.extend(getattr(proj, "files", None) or [])
    paths.extend(_vm_args_files(app))
    paths.extend(getattr(app, "workflow_paths", None) or [])
    out: list[str] = []
    for p in paths:
        if p not in out:
            out.append(p)
    return out


@rule("FLY606")
def check_known_token_format(app: App) -> Iterable[Finding]:
    service_lines = {wf.path: wf.service_lines() for wf in app_workflows(app)}
    out: list[Finding] = []
    for path in _scanned_files(app):
        src = app.source(path)
        if src is None:
            continue
        tokens = find_known_tokens(src.text)
        if not tokens:
            continue
        starts = _line_starts(src.text)
        exempt = service_lines.get(path, [])
        for tok in tokens:
            loc = _offset_location(path, starts, tok.start, tok.end)
            if any(a <= loc.line <= b for a, b in exempt):
                continue
            hit = _Hit(Detection(tok.kind, "", tok.start, tok.end, tok.end - tok.start), src.text)
            out.append(
                _finding(
                    "FLY606",
                    f"{path} contains {hit.describe()}",
                    loc,
                    f"{path}:{tok.kind}",
                    fix=f"revoke and {ROTATE}; keep it in a secret store (`fly secrets set`, "
                    "repository secrets)",
                    severity=hit.severity,
                )
            )
    return out


# -- [[files]] raw_value and check headers (FLY607) -----------------------------------------------

_CONTENT_PAIR_RE = re.compile(
    r"""["']?([A-Za-z_][\w.-]*)["']?\s*(?::|=)\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,#]+)"""
)


def _raw_value_texts(raw: str) -> list[str]:
    """What a `raw_value` may stand for: its base64-decoded text (the documented form) and the
    value as written (flyctl is lenient, and people paste plain text)."""
    texts = []
    compact = "".join(raw.split())
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,3}", compact or "-"):
        import base64
        import binascii

        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                data = decoder(compact + "=" * (-len(compact) % 4))
                texts.append(data.decode("utf-8"))
                break
            except (binascii.Error, ValueError, UnicodeDecodeError):
                continue
    texts.append(raw)
    return texts


def _content_hit(text: str) -> _Hit | None:
    """The first secret in a file's content (any format: env file, JSON, YAML, TOML, PEM)."""
    tokens = find_known_tokens(text)
    if tokens:
        t = tokens[0]
        return _Hit(Detection(t.kind, "", t.start, t.end, t.end - t.start), text)
    for line in text.split("\n"):
        hit = _scan(None, line, "shell")
        if hit is not None:
            return hit
        for m in _CONTENT_PAIR_RE.finditer(line):
            hit = _scan(m.group(1), m.group(2), "generic")
            if hit is not None:
                return hit
        hit = _scan(None, line, "generic")
        if hit is not None:
            return hit
    return None


def _files_and_headers(app: App) -> Iterator[Finding]:
    from flylint.parsers.toml_locator import format_path

    fly = getattr(app, "fly", None)
    if fly is None:
        return
    src = _fly_source(app)
    for entry in getattr(fly, "files", None) or []:
        if not isinstance(entry, dict):
            continue
        raw = entry.get("raw_value")
        if not isinstance(raw, str) or not raw.strip():
            continue
        key = f"{entry.get('key', 'files')}.raw_value"
        hit = next((h for h in map(_content_hit, _raw_value_texts(raw)) if h is not None), None)
        if hit is None:
            continue
        guest = entry.get("guest_path")
        target = f" for {guest}" if isinstance(guest, str) else ""
        yield _finding(
            "FLY607",
            f"[[files]] raw_value{target} decodes to a file holding {hit.describe()}; "
            "fly.toml is committed",
            _narrow(src, fly.locate(key), raw.strip()),
            key,
            fix="use `secret_name` with a Fly secret holding the base64 content instead of "
            f"raw_value, then {ROTATE}",
            severity=hit.severity,
        )
    checks = [c for s in getattr(fly, "services", None) or [] for c in s.checks]
    checks += list(getattr(fly, "machine_checks", None) or [])
    for check in checks:
        headers = getattr(check, "headers", None)
        if not isinstance(headers, dict):
            continue
        for name, value in headers.items():
            if not isinstance(value, str):
                continue
            hit = _scan(str(name), value, "fly_env")
            if hit is None:
                continue
            key = f"{check.key}.headers.{format_path((str(name),))}"
            yield _finding(
                "FLY607",
                f"check header {name} holds {hit.describe()}; fly.toml is committed and check "
                "headers are shown in the Machine config",
                _narrow(src, fly.locate(key), hit.secret),
                key,
                fix="make the health endpoint answer without credentials (or check a "
                f"non-secret header), then {ROTATE}",
                severity=hit.severity,
            )


@rule("FLY607")
def check_secret_in_files_or_headers(app: App) -> Iterable[Finding]:
    return list(_files_and_headers(app))


# -- compile-time reads (FLY608) ------------------------------------------------------------------


@rule("FLY608")
def check_secret_read_at_compile_time(app: App) -> Iterable[Finding]:
    from flylint.parsers.elixir.values import EnvRef

    proj = _elixir(app)
    config = getattr(proj, "config", None)
    if config is None:
        return []
    out: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    for leaf in _config_leaves(config.compile_time):
        v = leaf.value
        if not isinstance(v, EnvRef) or leaf.fallback_of is not None:
            continue
        file = v.file or ""
        if not file or _DEV_TEST_FILE.search(file):
            continue
        name = _leaf_name(leaf.names)
        if not (is_secret_name(v.name) or (name and is_secret_name(name))):
            continue
        spot = (file, v.line, v.column)
        if spot in seen:
            continue
        seen.add(spot)
        where = _config_where(leaf.names)
        note = _override_note(config, leaf)
        if note is not None:
            # runtime.exs replaces it at boot: only the build environment's value (normally
            # nothing) is baked into the image, so this is advice, not a broken secret.
            out.append(
                _finding(
                    "FLY608",
                    f'{where} reads System.get_env("{v.name}") in compile-time config ({file})'
                    f"{note[0]}: the read is dead, and whatever the build environment holds is "
                    "baked into the image",
                    v.location(),
                    _config_key(file, leaf.names),
                    fix=f"delete the read from {file}: config/runtime.exs already sets it",
                    severity="info",
                    related=(note[1],),
                )
            )
            continue
        out.append(
            _finding(
                "FLY608",
                f'{where} reads System.get_env("{v.name}") in compile-time config ({file}): '
                "Fly secrets are not set while the image builds, and the value would be baked "
                "into it",
                v.location(),
                _config_key(file, leaf.names),
                fix=f'move it to config/runtime.exs: System.fetch_env!("{v.name}")',
            )
        )
    return out


# -- secrets printed by release scripts (FLY609) --------------------------------------------------

_PRINT_RE = re.compile(r"(?<![\w-])(echo|printf|printenv)\b(.*)$")
_VAR_REF_RE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)|%([A-Za-z_]\w*)%"
)
_REDIRECT_RE = re.compile(r"(?<![<>&\d])\d?>>?\s*(?!&|/dev/std(?:out|err)\b)\S")


@rule("FLY609")
def check_secret_echoed(app: App) -> Iterable[Finding]:
    out: list[Finding] = []
    for path in _rel_scripts(app):
        src = app.source(path)
        if src is None:
            continue
        for number, text in enumerate(src.lines, start=1):
            stripped = text.strip()
            if not stripped or stripped.startswith(("#", "::", "REM ", "rem ")):
                continue
            for m in _PRINT_RE.finditer(text):
                command, rest = m.group(1), m.group(2)
                # Only what reaches the logs: stop at the next command, skip output sent to a file
                # or into a pipe.
                rest = re.split(r"\s(?:&&|\|\||;)\s|;", rest)[0]
                if "|" in rest or _REDIRECT_RE.search(rest):
                    continue
                base = m.start(2)
                if command == "printenv":
                    names = [
                        (w.start() + base, w.group(0)) for w in re.finditer(r"[A-Za-z_]\w*", rest)
                    ]
                    refs = [(s, n, len(n)) for s, n in names]
                else:
                    refs = []
                    for r in _VAR_REF_RE.finditer(rest):
                        name = r.group(1) or r.group(2) or r.group(3)
                        refs.append((base + r.start(), name, r.end() - r.start()))
                for start, name, length in refs:
                    if not is_secret_name(name):
                        continue
                    out.append(
                        _finding(
                            "FLY609",
                            f"{path} prints ${name} with {command}: the secret ends up in the "
                            "Machine logs",
                            Location(path, number, start + 1, number, start + length + 1),
                            f"{path}:{command} {name}",
                            fix=f"do not print {name}; log only whether it is set "
                            f'(`[ -n "${name}" ] && echo "{name} is set"`)',
                        )
                    )
    return out
