"""Inline suppressions: `# flylint: ignore[FLY301] reason` comments in the linted files.

All four formats (TOML, Dockerfile, Elixir, YAML) use `#` comments, so one syntax serves them all:

- `# flylint: ignore[FLY301, FLY305] reason` trailing a line suppresses those rules' findings on
  that line; alone on a line it suppresses them on the next code line (other comment lines may sit
  between, a blank line may not) and on its own line. In a Dockerfile the target is the whole
  instruction, continuation lines and heredoc bodies included. A finding is covered when its span
  (line..end_line) overlaps the covered lines.
- `# flylint: ignore-file[FLY7] reason` in the comment lines before the first code line of a file
  suppresses those rules in the whole file.

Codes are rule IDs, slugs or ID prefixes (`FLY7`); the reason is free text. A marker, or a code in
it, that suppresses nothing is reported as FLY006 unused-suppression at the marker, and so is an
unknown code, a malformed marker (`# flylint: ignore FLY301`, a blanket `ignore[]`) or an
`ignore-file` below the first code line. Codes of rules that did not run are never "unused".
FLY006 findings can themselves be silenced by a marker naming FLY006.

What counts as a comment (a documented heuristic, not a full parser):
- TOML and Elixir: `#` outside strings. Strings are followed across lines (TOML `\"\"\"`/`'''`,
  Elixir heredocs, multi-line strings and sigils), and Elixir `#{...}` interpolation, `?#` char
  literals and sigils (`~r/#/`) are skipped.
- Dockerfile, YAML and anything else (shell-like): `#` at the start of a line or after whitespace,
  outside a quoted word. Lines of a YAML block scalar or a Dockerfile heredoc are read the same way:
  there a `#` is a shell comment, which is where a marker for a `run:` script belongs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from flylint.findings import Finding, Location
from flylint.lazyre import lazy
from flylint.records import record
from flylint.sources import SourceFile

if TYPE_CHECKING:
    from flylint.catalogue import RuleMeta

UNUSED_RULE = "FLY006"
_MARKER_START = lazy(r"(?:^|#)\s*flylint\s*:", re.I)
_DIRECTIVE = lazy(r"\s*(ignore-file|ignore)\s*\[([^\]]*)\]\s*(.*)$", re.I)
_ELIXIR_SUFFIXES = (".ex", ".exs", ".eex", ".heex", ".leex")
_SIGIL_CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">", "/": "/", "|": "|", '"': '"', "'": "'"}

ReadSource = Callable[[str], "SourceFile | str | None"]


@record(frozen=True)
class Suppression:
    """One valid marker and the lines it covers."""

    path: str
    line: int  # the marker's line
    column: int  # 1-based column of the `#` that starts the marker
    end_column: int  # exclusive: the end of the marker text
    scope: str  # "line" or "file"
    codes: tuple[str, ...]  # as written
    reason: str
    first: int = 0  # lines covered (line scope)
    last: int = 0
    dangling: bool = False  # standalone with no code line directly below (a blank line follows)

    def covers(self, finding: Finding) -> bool:
        if finding.path != self.path:
            return False
        if self.scope == "file":
            return True
        loc = finding.location
        end = loc.end_line if loc.end_line is not None else loc.line
        return loc.line <= self.last and max(end, loc.line) >= self.first

    @property
    def directive(self) -> str:
        return "ignore-file" if self.scope == "file" else "ignore"


def apply_suppressions(
    findings: Iterable[Finding],
    read_source: ReadSource,
    paths: Iterable[str] = (),
    active: Collection[str] | None = None,
    index: Mapping[str, RuleMeta] | None = None,
    dockerfiles: Collection[str] = (),
) -> tuple[list[Finding], list[Suppression], list[Finding]]:
    """Split findings by the markers in their files.

    read_source(path) gives a file's text (SourceFile or str, None when unreadable). Markers are
    looked for in the files of the findings and in `paths` (pass every file read, so that markers in
    clean files are checked too). `active` is the set of rule IDs that ran (default: all); codes of
    other rules are never reported unused. `dockerfiles` names Dockerfiles whose names do not say
    so. Returns (kept findings, markers that suppressed something, FLY006 findings)."""
    if index is None:
        from flylint.catalogue import load_index

        index = load_index()
    active_ids = set(index) if active is None else set(active)
    findings = list(findings)
    marks: list[Suppression] = []
    problems: list[Finding] = []
    for path in sorted({*paths, *(f.path for f in findings)}):
        src = read_source(path)
        if src is None:
            continue
        found, bad = scan_markers(src, path, file_kind(path, dockerfiles))
        marks.extend(found)
        problems.extend(bad)

    resolved = {m: [resolve_code(c, index) for c in m.codes] for m in marks}
    by_path: dict[str, list[Suppression]] = {}
    for m in marks:
        by_path.setdefault(m.path, []).append(m)
    used: dict[tuple[Suppression, int], int] = {}
    kept = []
    for f in findings:
        hit = False
        for m in by_path.get(f.path, ()):
            if not m.covers(f):
                continue
            for i, ids in enumerate(resolved[m]):
                if ids and f.rule in ids:
                    used[(m, i)] = used.get((m, i), 0) + 1
                    hit = True
        if not hit:
            kept.append(f)

    reports = problems + [
        r for m in marks if (r := _unused_report(m, resolved[m], used, active_ids, index))
    ]
    # A marker naming FLY006 silences FLY006 reports it covers (its own included).
    silencers = [m for m in marks if any(ids and UNUSED_RULE in ids for ids in resolved[m])]
    reports = [r for r in reports if not any(m.covers(r) for m in silencers)]
    used_marks = [m for m in marks if any((m, i) in used for i in range(len(m.codes)))]
    return kept, used_marks, sorted(reports, key=Finding.sort_key)


def resolve_code(code: str, index: Mapping[str, RuleMeta]) -> set[str] | None:
    """Rule IDs a marker code names (ID, slug or prefix), None when it names none. `ALL` is not
    accepted: a suppression must say what it suppresses."""
    from flylint.engine import SelectionError, resolve_selector

    if code.strip().upper() == "ALL":
        return None
    try:
        return resolve_selector(code, index)
    except SelectionError:
        return None


def suggest_rule(code: str, index: Mapping[str, RuleMeta]) -> str | None:
    """The rule ID or slug a mistyped code most likely meant (IDs must be very close: FLY999 is
    not a typo of FLY109)."""
    import difflib

    ids = difflib.get_close_matches(code.strip().upper(), list(index), n=1, cutoff=0.8)
    slugs = [m.slug for m in index.values()]
    close = ids or difflib.get_close_matches(code.strip().lower(), slugs, n=1, cutoff=0.6)
    return close[0] if close else None


def _unused_report(
    mark: Suppression,
    resolved: list[set[str] | None],
    used: dict[tuple[Suppression, int], int],
    active: set[str],
    index: Mapping[str, RuleMeta],
) -> Finding | None:
    unknown, unused = [], []
    for i, (code, ids) in enumerate(zip(mark.codes, resolved, strict=True)):
        if ids is None:
            unknown.append(code)
        elif (mark, i) not in used and ids & active and ids != {UNUSED_RULE}:
            unused.append(code)
    if not unknown and not unused:
        return None
    parts = []
    if unused:
        where = " (no code line directly below it)" if mark.dangling else ""
        parts.append(f"{', '.join(unused)} matched no finding{where}")
    for code in unknown:
        if code.strip().upper() == "ALL":
            parts.append("ALL is not accepted, name the rules")
        else:
            close = suggest_rule(code, index)
            hint = f" (did you mean {close}?)" if close else ""
            parts.append(f"{_clip(code)!r} is not a rule{hint}")
    bad = unknown + unused
    fix = (
        "remove the marker"
        if len(bad) == len(mark.codes)
        else f"remove {', '.join(_clip(c) for c in bad)} from the marker"
    )
    return Finding(
        UNUSED_RULE,
        f"unused suppression {mark.directive}[{_clip(', '.join(mark.codes), 80)}]: "
        + "; ".join(parts),
        Location(mark.path, mark.line, mark.column, mark.line, mark.end_column),
        fix=fix,
    )


# -- finding markers in a file -----------------------------------------------------------------


def file_kind(path: str, dockerfiles: Collection[str] = ()) -> str:
    """toml, elixir, yaml, dockerfile or shell (the `#`-after-whitespace default)."""
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    if path in dockerfiles or re.match(r"^(docker|container)file([.-].*)?$", lower):
        return "dockerfile"
    if lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if lower.endswith(".toml"):
        return "toml"
    if lower.endswith((".yml", ".yaml")):
        return "yaml"
    if lower.endswith(".sh.eex") or lower.startswith("vm.args"):
        return "shell"  # rel/env.sh.eex, rel/vm.args.eex: shell and erl args behind EEx
    if lower.endswith(_ELIXIR_SUFFIXES) or lower == "mix.lock":
        return "elixir"
    return "shell"


def scan_markers(
    src: SourceFile | str, path: str, kind: str
) -> tuple[list[Suppression], list[Finding]]:
    """The markers of one file, and FLY006 findings for malformed or misplaced ones."""
    text = src.text if isinstance(src, SourceFile) else src
    if "flylint" not in text.lower():
        return [], []
    lines = text.split("\n")
    comments = comment_columns(lines, kind)
    pairs = zip(lines, comments, strict=True)
    code = [_is_code(line, col, inside) for line, (col, inside) in pairs]
    first_code = next((i for i, c in enumerate(code) if c), len(lines))
    marks: list[Suppression] = []
    problems: list[Finding] = []
    ranges: list[tuple[int, int]] | None = None
    for i, (line, (col, _)) in enumerate(zip(lines, comments, strict=True)):
        if col is None:
            continue
        comment = line[col:]
        m = _MARKER_START.search(comment)
        if m is None:
            continue
        start = col + m.start()
        loc = Location(path, i + 1, start + 1, i + 1, len(line.rstrip()) + 1)
        d = _DIRECTIVE.match(comment, m.end())
        codes = tuple(c for c in re.split(r"[,\s]+", d.group(2)) if c) if d else ()
        if d is None or not codes:
            problems.append(_malformed(comment[m.start() :], loc))
            continue
        scope = "file" if d.group(1).lower() == "ignore-file" else "line"
        reason = d.group(3).strip()
        if scope == "file":
            if i >= first_code:
                problems.append(
                    Finding(
                        UNUSED_RULE,
                        "ignore-file marker after the start of the code has no effect; move it to "
                        "the comments at the top of the file",
                        loc,
                        fix="move the marker above the first code line",
                    )
                )
                continue
            marks.append(Suppression(path, i + 1, start + 1, loc.end_column, scope, codes, reason))
            continue
        # A standalone marker covers its own line too: image-wide findings sit on line 1 of a
        # Dockerfile even when that line is a comment.
        target = i if code[i] else _next_code_line(lines, code, i)
        first = last = i + 1
        if target is not None:
            last = target + 1
            if kind == "dockerfile":
                if ranges is None:
                    ranges = _instruction_ranges(src, path)
                a, b = next(((a, b) for a, b in ranges if a <= target + 1 <= b), (last, last))
                first, last = min(first, a), b
        dangling = target is None
        marks.append(
            Suppression(
                path, i + 1, start + 1, loc.end_column, scope, codes, reason, first, last, dangling
            )
        )
    return marks, problems


def _malformed(marker: str, loc: Location) -> Finding:
    shown = _clip(marker.lstrip("#").strip(), 60)
    return Finding(
        UNUSED_RULE,
        f"malformed suppression {shown!r} suppresses nothing; "
        "write `# flylint: ignore[FLY301] reason` (or ignore-file[...])",
        loc,
        fix="name the rules in brackets: # flylint: ignore[FLY301] reason",
    )


def _clip(text: str, limit: int = 40) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_code(line: str, comment_col: int | None, starts_in_string: bool) -> bool:
    stripped = line.strip()
    if not stripped:
        return False
    if starts_in_string:
        return True
    return comment_col is None or comment_col > len(line) - len(line.lstrip())


def _next_code_line(lines: list[str], code: list[bool], i: int) -> int | None:
    """Index of the code line a standalone marker on line i applies to: the next line, skipping
    comment lines; a blank line (or the end of the file) means none."""
    for j in range(i + 1, len(lines)):
        if code[j]:
            return j
        if not lines[j].strip():
            return None
    return None


def _instruction_ranges(src: SourceFile | str, path: str) -> list[tuple[int, int]]:
    """(first line, last line) of every Dockerfile instruction, as the Dockerfile parser splits
    them (continuations, comment lines inside them and heredocs included)."""
    from flylint.parsers.dockerfile import parse_dockerfile

    source = src if isinstance(src, SourceFile) else SourceFile.from_text(path, src)
    df, _ = parse_dockerfile(source)
    return [(ins.line, ins.end_line) for ins in df.instructions]


# -- comment detection ---------------------------------------------------------------------------


def comment_columns(lines: list[str], kind: str) -> list[tuple[int | None, bool]]:
    """For each line: the 0-based column where its comment starts (None: no comment), and whether
    the line starts inside a multi-line string (so it is code even if it looks like a comment)."""
    out: list[tuple[int | None, bool]] = []
    state: tuple[str, bool] | None = None
    for line in lines:
        inside = state is not None
        if kind == "toml":
            col, state = _scan_quoted(line, state, elixir=False)
        elif kind == "elixir":
            col, state = _scan_quoted(line, state, elixir=True)
        else:
            col = _scan_shell_like(line)
        out.append((col, inside))
    return out


def _scan_quoted(line: str, state: tuple[str, bool] | None, elixir: bool):
    """TOML/Elixir: `#` outside strings starts a comment. state = (closing delimiter, heredoc)
    of a string left open by an earlier line."""
    i, n = 0, len(line)
    if state is not None:
        delim, heredoc = state
        if heredoc and elixir:
            stripped = line.lstrip()
            if not stripped.startswith(delim):
                return None, state
            i = n - len(stripped) + len(delim)
        else:
            end = _close(line, 0, delim, escapes=elixir or delim == '"""', interp=elixir)
            if end < 0:
                return None, state
            i = end
    while i < n:
        c = line[i]
        if c == "#":
            return i, None
        if elixir and c == "?" and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] in "_?!")):
            i += 3 if line.startswith("?\\", i) else 2
            continue
        if elixir and c == "~" and i + 1 < n and line[i + 1].isalpha():
            j = i + 1
            while j < n and line[j].isalpha():
                j += 1
            if j >= n or line[j] not in _SIGIL_CLOSERS:
                i = j
                continue
            if line.startswith(('"""', "'''"), j):
                return None, (line[j : j + 3], True)
            closer = _SIGIL_CLOSERS[line[j]]
            end = _close(line, j + 1, closer, escapes=True, interp=True)
            if end < 0:
                return None, (closer, False)
            i = end
            continue
        if c in "\"'":
            if line.startswith(c * 3, i):
                if elixir:  # a heredoc: the rest of the line opens it, content starts below
                    return None, (c * 3, True)
                end = _close(line, i + 3, c * 3, escapes=c == '"', interp=False)
                if end < 0:
                    return None, (c * 3, False)
                i = end
                continue
            end = _close(line, i + 1, c, escapes=elixir or c == '"', interp=elixir)
            if end < 0:
                # Elixir strings may span lines; a TOML single-line string cannot (tomllib
                # already rejected the file): the rest of the line is the string.
                return None, ((c, False) if elixir else None)
            i = end
            continue
        i += 1
    return None, None


def _close(line: str, i: int, delim: str, escapes: bool, interp: bool) -> int:
    """Index just after the closing delim at or after i, or -1 when the line ends first."""
    n = len(line)
    while i < n:
        c = line[i]
        if escapes and c == "\\":
            i += 2
            continue
        if interp and c == "#" and line.startswith("#{", i):
            depth, i = 1, i + 2
            while i < n and depth:
                depth += {"{": 1, "}": -1}.get(line[i], 0)
                i += 1
            continue
        if line.startswith(delim, i):
            return i + len(delim)
        i += 1
    return -1


def _scan_shell_like(line: str) -> int | None:
    """Dockerfile/YAML/shell: `#` at the start or after whitespace, outside a quoted word."""
    quote = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                if quote == "'" and line.startswith("''", i):
                    i += 2  # YAML's escaped quote (and shell's '' concatenation) stays quoted
                    continue
                quote = None
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
        elif c in "\"'" and (i == 0 or line[i - 1] in " \t:[{,=(-"):
            quote = c
        i += 1
    return None
