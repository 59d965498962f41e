"""Baselines: record today's findings so that CI fails only on new ones.

A finding is identified by a fingerprint, SHA-256 over four parts and never a line number:

1. the rule ID;
2. the project-relative path;
3. the logical location: the finding's `key` (a TOML key path, `Dockerfile:stage runner:USER`, an
   Elixir config path) with whitespace collapsed; without a key, the message with `path:line[:col]`
   references and `line N` phrases removed (the values it names stay: they are what the finding is
   about); for secret rules (FLY6xx) the key only, or nothing;
4. the normalised snippet: the text of the finding's span (the whole line for a point), whitespace
   collapsed, empty when it is only a comment; for secret rules always empty, so that neither the
   value nor anything derived from it (a hash could be brute-forced) reaches the baseline.

Matching is by counts: an entry with count 3 hides up to three findings with that fingerprint.
Findings left over are then matched by (rule, path, logical location) against entries left over,
so that a finding whose snippet changed in place (say an image-wide finding on line 1 of a
Dockerfile after a comment was inserted above) stays hidden, while a new finding elsewhere does
not. Entries matching nothing are stale; their count is reported.

The file: `{"version": 1, "tool": "flylint", "entries": [{"rule", "path", "location",
"fingerprint", "count", "message"}]}`, entries sorted by path, rule, location and fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from flylint.config import ConfigError
from flylint.findings import Finding
from flylint.records import record
from flylint.sources import SourceFile

BASELINE_VERSION = 1
TOOL = "flylint"
SECRET_RULE_PREFIX = "FLY6"
# What secret rules print in place of a value: `sk_l…(32 chars)`, `postgres://app:****@host`,
# `(64 chars, masked)`. A message is cut before the first of these.
_MASK = re.compile(r"…|\*{3,}|\bmasked\b|\bredacted\b", re.I)
_PATH_LINE = re.compile(r"((?:[\w.-]+/)*[\w.-]*[A-Za-z][\w.-]*):\d+(?::\d+)?\b")
_LINE_WORD = re.compile(r"\blines? \d+(?:\s*(?:-|–|to|and)\s*\d+)?", re.I)
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")

ReadSource = Callable[[str], "SourceFile | str | None"]


class BaselineError(ConfigError):
    """The baseline file cannot be used (exit 2)."""


@record(frozen=True)
class BaselineEntry:
    rule: str
    path: str
    location: str
    fingerprint: str
    count: int
    message: str = ""


@record(frozen=True)
class Baseline:
    path: Path | None
    entries: tuple[BaselineEntry, ...]


def is_secret(finding: Finding) -> bool:
    return finding.rule.startswith(SECRET_RULE_PREFIX)


def logical_location(finding: Finding) -> str:
    """Where the finding is, in terms that survive moving lines (see the module doc)."""
    if finding.key:
        return " ".join(finding.key.split())
    if is_secret(finding):
        return ""
    return "message: " + normalise_message(finding.message)


def normalise_message(message: str) -> str:
    """The message without line and column numbers of the places it mentions."""
    text = _PATH_LINE.sub(r"\1", message)
    text = _LINE_WORD.sub("line", text)
    return " ".join(text.split())


def snippet(finding: Finding, read_source: ReadSource | None) -> str:
    """The finding's source text, whitespace collapsed ('' for secrets, comments and unknowns)."""
    if is_secret(finding) or read_source is None:
        return ""
    src = read_source(finding.path)
    if src is None:
        return ""
    lines = src.lines if isinstance(src, SourceFile) else tuple(src.split("\n"))
    loc = finding.location
    end_line = loc.end_line if loc.end_line is not None else loc.line
    end_col = loc.end_column if loc.end_column is not None else loc.column
    if not 1 <= loc.line <= len(lines):
        return ""
    part = list(lines[loc.line - 1 : max(end_line, loc.line)])
    point = end_line <= loc.line and end_col <= loc.column
    if not point:
        if end_line > loc.line and end_col > 1:
            part[-1] = part[-1][: end_col - 1]
        elif end_line <= loc.line:
            part[0] = part[0][: end_col - 1]
        part[0] = part[0][loc.column - 1 :]
    text = " ".join(" ".join(part).split())
    return "" if text.startswith("#") else text


def fingerprint(finding: Finding, read_source: ReadSource | None = None) -> str:
    """The finding's stable identity (hex SHA-256); without read_source the snippet is left out."""
    parts = (finding.rule, finding.path, logical_location(finding), snippet(finding, read_source))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def safe_message(finding: Finding) -> str:
    """The message as stored in a baseline: for secret rules, cut before the masked value."""
    message = " ".join(finding.message.split())
    if not is_secret(finding):
        return message
    m = _MASK.search(message)
    if m is None:
        # No mask marker: drop anything quoted, the likeliest place for a value.
        return re.sub(r"([\"'`]).*?\1", "…", message)
    head = message[: m.start()]
    cut = head.rfind("(") if head.count("(") > head.count(")") else -1
    if cut < 0:
        cut = max(head.rfind(" "), 0)
    return head[:cut].rstrip(" :=,(\"'—-")


def build_entries(
    findings: Iterable[Finding], read_source: ReadSource | None = None
) -> list[BaselineEntry]:
    grouped: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        grouped.setdefault(fingerprint(f, read_source), []).append(f)
    entries = [
        BaselineEntry(
            fs[0].rule, fs[0].path, logical_location(fs[0]), fp, len(fs), safe_message(fs[0])
        )
        for fp, fs in grouped.items()
    ]
    return sorted(entries, key=lambda e: (e.path, e.rule, e.location, e.fingerprint))


def render_baseline(findings: Iterable[Finding], read_source: ReadSource | None = None) -> str:
    entries = [
        {
            "rule": e.rule,
            "path": e.path,
            "location": e.location,
            "fingerprint": e.fingerprint,
            "count": e.count,
            "message": e.message,
        }
        for e in build_entries(findings, read_source)
    ]
    data = {"version": BASELINE_VERSION, "tool": TOOL, "entries": entries}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_baseline(
    findings: Iterable[Finding], path: Path | str, read_source: ReadSource | None = None
) -> int:
    """Write the baseline file; returns the number of findings recorded."""
    findings = list(findings)
    try:
        Path(path).write_text(render_baseline(findings, read_source), encoding="utf-8")
    except OSError as err:
        raise BaselineError(f"cannot write baseline {path}: {err.strerror or err}") from err
    return len(findings)


def load_baseline(path: Path | str) -> Baseline:
    """Read and validate a baseline file. Raises BaselineError (exit 2) naming what is wrong."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise BaselineError(
            f"baseline {p}: no such file (create it with --write-baseline)"
        ) from err
    except (OSError, UnicodeDecodeError) as err:
        raise BaselineError(f"baseline {p}: cannot read: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise BaselineError(f"{p}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}") from err
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise BaselineError(f'{p}: not a flylint baseline (no "tool": "flylint")')
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(
            f"{p}: unsupported baseline version {data.get('version')!r} "
            f"(this flylint reads version {BASELINE_VERSION}; rewrite it with --write-baseline)"
        )
    raw = data.get("entries")
    if not isinstance(raw, list):
        raise BaselineError(f'{p}: "entries" must be a list')
    entries = []
    for i, item in enumerate(raw):
        entries.append(_entry(p, i, item))
    return Baseline(p, tuple(entries))


def _entry(path: Path, i: int, item: object) -> BaselineEntry:
    where = f"{path}: entries[{i}]"
    if not isinstance(item, dict):
        raise BaselineError(f"{where} must be an object")
    for key in ("rule", "path", "location", "fingerprint"):
        if not isinstance(item.get(key), str):
            raise BaselineError(f'{where}: "{key}" must be a string')
    if not _FINGERPRINT.match(item["fingerprint"]):
        raise BaselineError(f'{where}: "fingerprint" must be 64 lowercase hex digits')
    count = item.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BaselineError(f'{where}: "count" must be a positive integer')
    message = item.get("message", "")
    if not isinstance(message, str):
        raise BaselineError(f'{where}: "message" must be a string')
    return BaselineEntry(
        item["rule"], item["path"], item["location"], item["fingerprint"], count, message
    )


def apply_baseline(
    findings: Iterable[Finding], baseline: Baseline, read_source: ReadSource | None = None
) -> tuple[list[Finding], int, int]:
    """Hide baselined findings. Returns (kept findings in their order, hidden count, stale count:
    baseline findings that matched nothing)."""
    findings = list(findings)
    by_print: dict[str, int] = {}
    for e in baseline.entries:
        by_print[e.fingerprint] = by_print.get(e.fingerprint, 0) + e.count
    meta = {e.fingerprint: (e.rule, e.path, e.location) for e in baseline.entries}
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    hidden: set[int] = set()
    leftover: list[int] = []
    for i in order:
        fp = fingerprint(findings[i], read_source)
        if by_print.get(fp, 0) > 0:
            by_print[fp] -= 1
            hidden.add(i)
        else:
            leftover.append(i)
    by_place: dict[tuple[str, str, str], int] = {}
    for fp, left in by_print.items():
        if left:
            by_place[meta[fp]] = by_place.get(meta[fp], 0) + left
    for i in leftover:
        f = findings[i]
        place = (f.rule, f.path, logical_location(f))
        if by_place.get(place, 0) > 0:
            by_place[place] -= 1
            hidden.add(i)
    kept = [f for i, f in enumerate(findings) if i not in hidden]
    return kept, len(hidden), sum(by_place.values())
