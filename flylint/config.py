"""The `.flylint.toml` configuration: discovery, validation, and how it filters findings.

Discovery (`load_config`): `--config FILE` if given; else, unless `--isolated`, walk up from the
linted path and take the first directory holding `.flylint.toml`, `flylint.toml` or a
`pyproject.toml` with a `[tool.flylint]` table (in that order). The walk stops at the git root
(the directory holding `.git`); outside a repository it goes up to the filesystem root.

Precedence, highest first: command-line options, `FLYLINT_OUTPUT_FORMAT` (output format only), the
config file, built-in defaults (select ALL, fail-on warning, output-format full). Rule selection is
layered like ruff's: the config's select/extend-select/ignore are applied first, then the CLI's;
a CLI `--select` starts afresh (the config's selection, ignores included, no longer applies), while
a CLI `--ignore` or `--extend-select` adjusts the config's selection. `[severity]` and
`[per-file-ignores]` from the CLI are merged over the config's.

`[[suppress]]` tables `{rule, path, key, reason}` hide findings by rule, file and logical location
(a fly.toml key path, a Dockerfile or Elixir config path); unlike inline comments they survive
`fly launch`/`fly config save` rewriting fly.toml. `[[ignore]]` is accepted as a synonym, but TOML
cannot hold both an `ignore = [...]` rule list and `[[ignore]]` tables, hence the second name.

Paths in `exclude`, `[per-file-ignores]` and `[[suppress]]` are globs relative to the config file's
directory (`*` stays within one directory, `**` spans several, a pattern without `/` matches a
file or directory name at any depth, and matching a directory matches everything below it).

Every problem in the file is a `ConfigError` naming the file and line, with a "did you mean" for
misspelt keys, rules and values (exit 2).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flylint.findings import SEVERITIES, Finding
from flylint.records import record

if TYPE_CHECKING:
    from flylint.catalogue import RuleMeta
    from flylint.engine import Selection

CONFIG_NAMES = (".flylint.toml", "flylint.toml", "pyproject.toml")
FAIL_ON = ("error", "warning", "info", "never")
DEFAULT_FAIL_ON = "warning"
DEFAULT_OUTPUT_FORMAT = "full"
TOP_KEYS = (
    "select",
    "ignore",
    "extend-select",
    "fail-on",
    "output-format",
    "severity",
    "per-file-ignores",
    "exclude",
    "suppress",
)
IGNORE_ENTRY_KEYS = ("rule", "path", "key", "reason")
# Separators after which a longer logical location still lies inside an [[ignore]] key:
# `http_service` covers `http_service.checks[0].path`; `Dockerfile:stage runner` covers
# `Dockerfile:stage runner:USER`; `config :app, Endpoint` covers `config :app, Endpoint, url`.
KEY_SEPARATORS = ".[:,/ "


class ConfigError(Exception):
    """A config file (or a config-like command-line value) is wrong: one line, exit 2."""


@record(frozen=True)
class IgnoreEntry:
    """One `[[suppress]]` (or `[[ignore]]`) table: hide findings of `rule` in files matching
    `path`, optionally only at the logical location `key` (a fly.toml key path, a Dockerfile or
    Elixir config path)."""

    rule: str
    path: str
    reason: str
    key: str | None = None
    line: int = 0  # where the entry starts in the config file, for messages


@record(frozen=True)
class Config:
    """Settings from one config file (or defaults). None / empty means "not set here"."""

    path: Path | None = None  # the file read, None for defaults
    root: Path | None = None  # globs are relative to this directory (the config file's)
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    fail_on: str | None = None
    output_format: str | None = None
    severity: tuple[tuple[str, str], ...] = ()  # (selector, level)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, selectors)
    exclude: tuple[str, ...] = ()
    ignores: tuple[IgnoreEntry, ...] = ()
    # Command-line layer, set by with_cli(); applied after the file's values.
    cli_select: tuple[str, ...] = ()
    cli_ignore: tuple[str, ...] = ()
    cli_extend_select: tuple[str, ...] = ()

    # -- effective values ----------------------------------------------------------------------

    @property
    def effective_fail_on(self) -> str:
        return self.fail_on or DEFAULT_FAIL_ON

    @property
    def effective_output_format(self) -> str:
        return self.output_format or DEFAULT_OUTPUT_FORMAT

    def rule_ids(self, index: Mapping[str, RuleMeta] | None = None) -> set[str]:
        """The rules to run: the file's selection, then the command line's (see module doc)."""
        from flylint.engine import resolve_selector

        index = _index(index)

        def resolve(entries: Iterable[str]) -> set[str]:
            out: set[str] = set()
            for entry in entries:
                out |= resolve_selector(entry, index)
            return out

        ids = set(index)
        layers = (
            (self.select, self.extend_select, self.ignore),
            (self.cli_select or None, self.cli_extend_select, self.cli_ignore),
        )
        for select, extend, ignore in layers:
            if select is not None:
                ids = resolve(select)
            ids |= resolve(extend)
            ids -= resolve(ignore)
        return ids

    def selection(self, index: Mapping[str, RuleMeta] | None = None) -> Selection:
        """An engine Selection naming exactly the rules of rule_ids()."""
        from flylint.engine import Selection

        return Selection(select=tuple(sorted(self.rule_ids(index))))

    def with_cli(
        self,
        *,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        extend_select: Sequence[str] = (),
        fail_on: str | None = None,
        output_format: str | None = None,
        severity: Sequence[str] = (),
        per_file_ignores: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> Config:
        """This config with command-line values layered on top. `severity` items are
        `CODE=LEVEL`, `per_file_ignores` items `GLOB:CODES` (codes comma-separated)."""
        sev = dict(self.severity)
        for item in severity:
            selector, level = parse_severity_option(item)
            sev[selector] = level
        pfi = list(self.per_file_ignores)
        pfi.extend(parse_per_file_ignore_option(item) for item in per_file_ignores)
        return replace(
            self,
            cli_select=tuple(select),
            cli_ignore=tuple(ignore),
            cli_extend_select=tuple(extend_select),
            fail_on=fail_on or self.fail_on,
            output_format=output_format or self.output_format,
            severity=tuple(sev.items()),
            per_file_ignores=tuple(pfi),
            exclude=(*self.exclude, *exclude),
        )

    # -- filtering -----------------------------------------------------------------------------

    def config_path_of(self, project_root: Path, rel: str) -> str:
        """A project-relative path as seen from the config file's directory (the base of every
        glob here); paths outside that directory keep their project-relative form."""
        if self.root is None:
            return rel
        try:
            full = (Path(project_root) / rel).resolve()
            return full.relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return rel

    def is_excluded(self, project_root: Path, rel: str) -> bool:
        """True when a project-relative path matches `exclude` (not linted, not reported)."""
        if not self.exclude:
            return False
        path = self.config_path_of(project_root, rel)
        return any(glob_matches(g, path) for g in self.exclude)

    def apply(
        self,
        findings: Iterable[Finding],
        project_root: Path,
        index: Mapping[str, RuleMeta] | None = None,
    ) -> tuple[list[Finding], list[IgnoreEntry]]:
        """Drop findings in excluded files, per-file-ignored ones and those matching an
        `[[ignore]]` entry; apply `[severity]` overrides. Returns the kept findings (order kept)
        and the `[[ignore]]` entries that matched nothing."""
        index = _index(index)
        severity = self._severity_map(index)
        pfi = [(glob, _resolve_all(sels, index)) for glob, sels in self.per_file_ignores]
        entries = [(e, _resolve_all((e.rule,), index)) for e in self.ignores]
        used: set[int] = set()
        kept: list[Finding] = []
        for f in findings:
            path = self.config_path_of(project_root, f.path)
            if any(glob_matches(g, path) for g in self.exclude):
                continue
            if any(f.rule in ids and glob_matches(g, path) for g, ids in pfi):
                continue
            hit = [
                i
                for i, (e, ids) in enumerate(entries)
                if f.rule in ids and glob_matches(e.path, path) and key_matches(e.key, f.key)
            ]
            if hit:
                used.update(hit)
                continue
            if f.rule in severity:
                f = replace(f, severity=severity[f.rule])
            kept.append(f)
        unused = [e for i, (e, _) in enumerate(entries) if i not in used]
        return kept, unused

    def _severity_map(self, index: Mapping[str, RuleMeta]) -> dict[str, str]:
        """Rule ID -> level. A more specific selector wins: an ID or slug over a prefix, a longer
        prefix over a shorter one, a prefix over ALL."""
        ranked = []
        for selector, level in self.severity:
            ids = _resolve_all((selector,), index)
            specificity = 1000 if len(ids) == 1 and _is_exact(selector, index) else len(selector)
            if selector.strip().upper() == "ALL":
                specificity = -1
            ranked.append((specificity, ids, level))
        out: dict[str, str] = {}
        for _, ids, level in sorted(ranked, key=lambda r: r[0]):
            for rid in ids:
                out[rid] = level
        return out


# -- discovery and loading ---------------------------------------------------------------------


def find_config_file(start: Path) -> Path | None:
    """The nearest config file at or above start (a file or directory), stopping at the git root."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    while True:
        for name in CONFIG_NAMES:
            candidate = here / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        if (here / ".git").exists() or here.parent == here:
            return None
        here = here.parent


def load_config(
    start: Path,
    explicit: Path | None = None,
    isolated: bool = False,
    index: Mapping[str, RuleMeta] | None = None,
) -> Config:
    """The Config for a run: `explicit` (--config) if given, else the discovered file, else
    defaults. `isolated` ignores config files (an explicit one too). Raises ConfigError."""
    if isolated:
        return Config()
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
    else:
        found = find_config_file(start)
        if found is None:
            return Config()
        path = found
    return parse_config(path, _read_text(path), index)


def parse_config(path: Path, text: str, index: Mapping[str, RuleMeta] | None = None) -> Config:
    """Validate config text read from path. Raises ConfigError naming path:line."""
    data = _parse_toml(path, text)
    prefix: tuple = ()
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("flylint") if isinstance(tool, dict) else None
        if table is None:
            return Config(path=path.resolve(), root=path.resolve().parent)
        prefix = ("tool", "flylint")
        data = table
    checker = _Checker(path, text, prefix, _index(index))
    return checker.config(data)


def render_starter_config() -> str:
    """A commented `.flylint.toml` for `flylint init`; it loads as it is."""
    return STARTER_CONFIG


STARTER_CONFIG = """\
# flylint configuration.
#
# flylint finds this file by walking up from the linted path to the git root; `--config FILE`
# reads another file and `--isolated` ignores config files. Command-line options override the
# values here. Paths are globs relative to this file: `*` stays within one directory, `**` spans
# several, and a name without `/` matches at any depth.

# Rules to run: IDs (FLY707), prefixes (FLY7), slugs (dockerignore-missing) or "ALL".
select = ["ALL"]
# Rules to skip (applied after select and extend-select).
ignore = []
# Rules to add to `select`.
# extend-select = ["FLY7"]

# Lowest severity that makes `flylint check` exit 1: "error", "warning", "info" or "never".
fail-on = "warning"

# Output format when --output-format is not given: "full", "concise" or "json".
# output-format = "full"

# Paths that are neither linted nor reported.
exclude = []

# Severity per rule (ID, slug or prefix): "error", "warning" or "info".
[severity]
# FLY707 = "warning"

# Rules ignored in some files: glob -> rules.
[per-file-ignores]
# "fly.staging.toml" = ["FLY707"]

# Hide one finding by rule, file and logical location: a fly.toml key path such as
# `http_service.force_https`, a Dockerfile location such as `Dockerfile:stage runner:USER`, or an
# Elixir config path. Unlike an inline `# flylint: ignore[...]` comment, these entries survive
# `fly launch` and `fly config save`, which rewrite fly.toml and drop its comments. A reason is
# required. Repeat the table for more entries. ([[ignore]] is a synonym, usable only when the
# file has no `ignore = [...]` list: TOML does not allow both.)
# [[suppress]]
# rule = "FLY707"
# path = "fly.toml"
# key = "build"
# reason = "the image is built elsewhere"
"""


# -- command-line values ----------------------------------------------------------------------


def parse_severity_option(item: str) -> tuple[str, str]:
    """`FLY301=info` -> ("FLY301", "info")."""
    selector, sep, level = item.partition("=")
    level = level.strip().lower()
    if not sep or not selector.strip() or level not in SEVERITIES:
        raise ConfigError(
            f"--severity {item!r}: expected CODE=LEVEL with LEVEL one of {', '.join(SEVERITIES)}"
        )
    return selector.strip(), level


def parse_per_file_ignore_option(item: str) -> tuple[str, tuple[str, ...]]:
    """`fly.staging.toml:FLY301,FLY305` -> ("fly.staging.toml", ("FLY301", "FLY305"))."""
    glob, sep, codes = item.rpartition(":")
    selectors = tuple(c.strip() for c in codes.split(",") if c.strip())
    if not sep or not glob.strip() or not selectors:
        raise ConfigError(
            f"--per-file-ignores {item!r}: expected GLOB:CODES (e.g. fly.*.toml:FLY3)"
        )
    return glob.strip(), selectors


# -- matching ----------------------------------------------------------------------------------


def glob_matches(pattern: str, path: str) -> bool:
    """Whether a forward-slash relative path (or one of its parent directories) matches pattern."""
    regex = _glob_regex(pattern)
    if regex is None:
        return False
    parts = path.split("/")
    return any(regex.fullmatch("/".join(parts[:n])) for n in range(len(parts), 0, -1))


def key_matches(wanted: str | None, key: str | None) -> bool:
    """An [[ignore]] key matches the same logical location or one inside it; no key matches all."""
    if wanted is None:
        return True
    if key is None:
        return False
    want = " ".join(wanted.split())
    have = " ".join(key.split())
    if have == want:
        return True
    return have.startswith(want) and have[len(want)] in KEY_SEPARATORS


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str] | None:
    pat = pattern.strip().replace("\\", "/")
    while pat.startswith("./"):
        pat = pat[2:]
    pat = pat.rstrip("/")
    anchored = "/" in pat
    pat = pat.lstrip("/")
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pat.find("]", i + 2)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    source = "".join(out)
    if not anchored:
        source = "(?:.*/)?" + source
    try:
        return re.compile(source)
    except re.error:
        return None


# -- internals ---------------------------------------------------------------------------------


def _index(index: Mapping[str, RuleMeta] | None) -> Mapping[str, RuleMeta]:
    if index is not None:
        return index
    from flylint.catalogue import load_index

    return load_index()


def _resolve_all(selectors: Iterable[str], index: Mapping[str, RuleMeta]) -> set[str]:
    """IDs of several selectors. File values were validated on load, so only a command-line
    value can be unknown: that raises the engine's SelectionError (exit 2)."""
    from flylint.engine import resolve_selector

    out: set[str] = set()
    for s in selectors:
        out |= resolve_selector(s, index)
    return out


def _is_exact(selector: str, index: Mapping[str, RuleMeta]) -> bool:
    token = selector.strip()
    return token.upper() in index or any(m.slug == token.lower() for m in index.values())


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{_show(path)}: cannot read: {err.strerror or err}") from err
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{_show(path)}:{line}: not valid UTF-8") from err


def _parse_toml(path: Path, text: str) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised only on 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", message)
        where = f"{m.group(1)}:{m.group(2)}" if m else "1"
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        if "('ignore'" in message:
            message += (
                " (`ignore = [...]` and [[ignore]] tables cannot share a file:"
                " write the tables as [[suppress]])"
            )
        raise ConfigError(f"{_show(path)}:{where}: invalid TOML: {message}") from err


def _has_tool_table(path: Path) -> bool:
    """A pyproject.toml counts only with a [tool.flylint] table (cheap text test first)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*\[\s*tool\s*\.\s*flylint\s*[\].]", text, re.M) is not None or bool(
        re.search(r"^\s*tool\s*\.\s*flylint\s*[.=]", text, re.M)
    )


def _show(path: Path) -> str:
    """The path as the user best recognises it: relative to the working directory when inside."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    """Validates the parsed table, raising ConfigError at the first problem, with its line."""

    def __init__(self, path: Path, text: str, prefix: tuple, index: Mapping[str, RuleMeta]):
        from flylint.parsers.toml_locator import TomlLocator

        self.path = path
        self.prefix = prefix
        self.locator = TomlLocator(text)
        self.index = index

    def fail(self, where: tuple, message: str) -> None:
        span = self.locator.locate(self.prefix + where)
        raise ConfigError(f"{_show(self.path)}:{span.line}:{span.column}: {message}")

    def config(self, data: dict) -> Config:
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in TOP_KEYS or key == "ignore-entries":
                self.unknown_top(key, value)
            values[key] = value
        select = self.selectors(values, "select") if "select" in values else None
        return Config(
            path=self.path.resolve(),
            root=self.path.resolve().parent,
            select=select,
            ignore=self.ignore_list(values.get("ignore")),
            extend_select=self.selectors(values, "extend-select"),
            fail_on=self.choice(values, "fail-on", FAIL_ON),
            output_format=self.choice(values, "output-format", _output_formats()),
            severity=self.severity(values.get("severity")),
            per_file_ignores=self.per_file_ignores(values.get("per-file-ignores")),
            exclude=self.strings(values, "exclude"),
            ignores=(
                *self.ignore_entries(values.get("ignore"), "ignore"),
                *self.ignore_entries(values.get("suppress"), "suppress"),
            ),
        )

    def unknown_top(self, key: str, value: Any) -> None:
        hint = _suggest(key, TOP_KEYS)
        if not hint and key.replace("_", "-") in TOP_KEYS:
            hint = f" (did you mean {key.replace('_', '-')!r}?)"
        self.fail((key,), f"unknown key {key!r} in the flylint configuration{hint}")

    def strings(self, values: dict, key: str) -> tuple[str, ...]:
        if key not in values:
            return ()
        value = values[key]
        if not isinstance(value, list):
            self.fail((key,), f"{key} must be a list of strings, not {_kind(value)}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.fail((key, i), f"{key}[{i}] must be a non-empty string, not {_kind(item)}")
        return tuple(value)

    def selectors(self, values: dict, key: str) -> tuple[str, ...]:
        items = self.strings(values, key)
        for i, item in enumerate(items):
            self.check_selector(item, (key, i), key)
        return items

    def ignore_list(self, value: Any) -> tuple[str, ...]:
        # `ignore = [...]` is the rule list; `[[ignore]]` tables (a list of dicts) are entries,
        # handled by ignore_entries. TOML does not allow both in one file.
        if value is None or _is_table_list(value):
            return ()
        return self.selectors({"ignore": value}, "ignore")

    def check_selector(self, item: str, where: tuple, what: str) -> None:
        from flylint.engine import SelectionError, resolve_selector

        try:
            resolve_selector(item, self.index)
        except SelectionError:
            from flylint.suppress import suggest_rule

            close = suggest_rule(item, self.index)
            hint = f" (did you mean {close!r}?)" if close else ""
            self.fail(where, f"{what}: unknown rule {item!r}{hint}")

    def choice(self, values: dict, key: str, allowed: Sequence[str]) -> str | None:
        if key not in values:
            return None
        value = values[key]
        if not isinstance(value, str) or value not in allowed:
            shown = repr(value) if isinstance(value, str) else _kind(value)
            hint = _suggest(value, allowed) if isinstance(value, str) else ""
            self.fail((key,), f"{key} must be one of {', '.join(allowed)}, not {shown}{hint}")
        return value

    def table(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            self.fail((key,), f"[{key}] must be a table, not {_kind(value)}")
        return value

    def severity(self, value: Any) -> tuple[tuple[str, str], ...]:
        if value is None:
            return ()
        out = []
        for selector, level in self.table(value, "severity").items():
            self.check_selector(selector, ("severity", selector), "[severity]")
            if not isinstance(level, str) or level not in SEVERITIES:
                shown = repr(level) if isinstance(level, str) else _kind(level)
                hint = _suggest(level, SEVERITIES) if isinstance(level, str) else ""
                self.fail(
                    ("severity", selector),
                    f"[severity] {selector} must be one of {', '.join(SEVERITIES)}, "
                    f"not {shown}{hint}",
                )
            out.append((selector, level))
        return tuple(out)

    def per_file_ignores(self, value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if value is None:
            return ()
        out = []
        for glob, rules in self.table(value, "per-file-ignores").items():
            where = ("per-file-ignores", glob)
            if not isinstance(rules, list) or not rules:
                self.fail(where, f"[per-file-ignores] {glob!r} must be a non-empty list of rules")
            for i, item in enumerate(rules):
                if not isinstance(item, str):
                    self.fail((*where, i), f"[per-file-ignores] {glob!r}: rules must be strings")
                self.check_selector(item, (*where, i), "[per-file-ignores]")
            out.append((glob, tuple(rules)))
        return tuple(out)

    def ignore_entries(self, value: Any, name: str) -> tuple[IgnoreEntry, ...]:
        """`[[suppress]]` tables, or `[[ignore]]` ones (a synonym when `ignore` is no rule list)."""
        if value is None or (name == "ignore" and not _is_table_list(value)):
            return ()
        if not _is_table_list(value):
            self.fail((name,), f"{name} must be written as [[{name}]] tables, not {_kind(value)}")
        out = []
        for i, entry in enumerate(value):
            where = (name, i)
            for key in entry:
                if key not in IGNORE_ENTRY_KEYS:
                    hint = " (did you mean 'path'?)" if key == "file" else ""
                    hint = hint or _suggest(key, IGNORE_ENTRY_KEYS)
                    self.fail((*where, key), f"unknown key {key!r} in [[{name}]]{hint}")
            for key in IGNORE_ENTRY_KEYS:
                item = entry.get(key)
                if key == "key" and item is None:
                    continue
                if item is None:
                    self.fail(where, f"[[{name}]] entry needs `{key}`")
                if not isinstance(item, str) or not item.strip():
                    self.fail((*where, key), f"[[{name}]] {key} must be a non-empty string")
            self.check_selector(entry["rule"], (*where, "rule"), f"[[{name}]] rule")
            line = self.locator.locate(self.prefix + where).line
            out.append(
                IgnoreEntry(entry["rule"], entry["path"], entry["reason"], entry.get("key"), line)
            )
        return tuple(out)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "a table"})
    return names.get(type(value), type(value).__name__)


def _output_formats() -> tuple[str, ...]:
    from flylint.report import FORMATS

    return tuple(FORMATS)
