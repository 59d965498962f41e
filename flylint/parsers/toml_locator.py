"""Source positions for TOML key paths.

tomllib gives values but no positions. This module scans the text once and records where each key,
table header and array element is, keyed by its logical path: `http_service.checks[0].path`,
`services[1].ports[0]`, `env.PORT`. Dotted keys (`concurrency.soft_limit = 5` inside
`[http_service]`), inline tables (`concurrency = {soft_limit = 5}`) and arrays of inline tables map
to the same paths as the equivalent `[table]` headers.

It is only as strict as it needs to be: it runs on files tomllib already accepted, and on anything
else it records what it can and never raises. Every step moves forward, so it is linear in the size
of the text (plus a log factor to turn offsets into line numbers).
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_right

from flylint.records import record

PathKey = tuple  # tuple[str | int, ...]: table and key names, array indices as ints

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_PATH_TOKEN = re.compile(r'\s*(?:\[(\d+)\]|"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([^.\[\]"\']+))')
_ESCAPES = {
    "b": "\b",
    "t": "\t",
    "n": "\n",
    "f": "\f",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "e": "\x1b",
}
# Deeper nesting than this is skipped rather than recursed into (fly configs nest 4 levels).
_MAX_DEPTH = 48


@record(unsafe_hash=True)  # one per located key: never changed
class Span:
    """1-based line/column of a key = value (or header, or array element); end column exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


ORIGIN = Span(1, 1, 1, 1)


def format_path(path: PathKey) -> str:
    """`("http_service", "checks", 0, "path")` -> `http_service.checks[0].path`.
    Names that are not bare TOML keys are double-quoted."""
    out: list[str] = []
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
            continue
        text = (
            seg
            if _BARE_KEY.fullmatch(seg)
            else '"' + seg.replace("\\", "\\\\").replace('"', '\\"') + '"'
        )
        out.append(("." if out else "") + text)
    return "".join(out)


def parse_path(text: str) -> PathKey:
    """The inverse of format_path, lenient: unparseable trailing text is ignored."""
    segs: list[str | int] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
            continue
        m = _PATH_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        index, dq, sq, bare = m.groups()
        if index is not None:
            segs.append(int(index))
        elif dq is not None:
            segs.append(re.sub(r"\\(.)", r"\1", dq))
        elif sq is not None:
            segs.append(sq)
        else:
            segs.append(bare.strip())
        pos = m.end()
    return tuple(segs)


class TomlLocator:
    """Positions of every key path in one TOML text."""

    def __init__(self, text: str) -> None:
        self._spans: dict[PathKey, Span] = {}
        # Paths registered only because something below them exists (a `[a.b]` header implies
        # `a`); an explicit definition found later replaces them.
        self._implicit: set[PathKey] = set()
        # Positions are best effort: on a scanner bug, whatever was recorded so far stays usable.
        with contextlib.suppress(RecursionError, IndexError, ValueError):
            _Scanner(text, self).run()

    # -- recording (used by the scanner) ------------------------------------------------------

    def _record(self, path: PathKey, span: Span) -> None:
        if path not in self._spans or path in self._implicit:
            self._spans[path] = span
            self._implicit.discard(path)

    def _record_implicit(self, path: PathKey, span: Span) -> None:
        if path not in self._spans:
            self._spans[path] = span
            self._implicit.add(path)

    # -- queries ------------------------------------------------------------------------------

    def paths(self) -> list[PathKey]:
        return list(self._spans)

    def find(self, path: str | PathKey) -> Span | None:
        """The span of exactly this path (allowing legacy single-table shapes), else None."""
        resolved, complete = self._resolve(path)
        return self._spans.get(resolved) if complete and resolved else None

    def locate(self, path: str | PathKey) -> Span:
        """The span of the path, else of its nearest existing parent, else line 1 column 1."""
        resolved, _ = self._resolve(path)
        return self._spans.get(resolved, ORIGIN) if resolved else ORIGIN

    def _resolve(self, path: str | PathKey) -> tuple[PathKey, bool]:
        """Walk the path through recorded spans. Returns the deepest recorded prefix and whether
        the whole path was matched. `mounts[0]` matches a single `[mounts]` table (flyctl accepts
        both shapes), and `env.PORT` matches `[[env]]` list-of-tables entries."""
        segs = parse_path(path) if isinstance(path, str) else tuple(path)
        spans = self._spans
        current: PathKey = ()
        for seg in segs:
            if isinstance(seg, int):
                if (*current, seg) in spans:
                    current = (*current, seg)
                elif seg == 0 and current and (*current, 0) not in spans:
                    continue  # single table written where an array of tables is expected
                else:
                    return current, False
                continue
            candidates = [(*current, seg)]
            if not current:
                candidates += [(alias,) for alias in _TOP_ALIASES.get(seg, ())]
            elif current == ("build",) and seg in ("build-target", "build_target"):
                candidates += [("build", "build_target"), ("build", "build-target")]
            found = next((c for c in candidates if c in spans), None)
            if found is None and (*current, 0) in spans:
                # the table was written as a list of tables ([[env]]): look in each entry
                index = 0
                while (*current, index) in spans:
                    if (*current, index, seg) in spans:
                        found = (*current, index, seg)
                        break
                    index += 1
            if found is None:
                return current, False
            current = found
        return current, True


# Legacy spellings flyctl folds into the modern section (patches.go).
_TOP_ALIASES = {
    "mounts": ("mount",),
    "mount": ("mounts",),
    "vm": ("compute", "computes"),
    "metrics": ("metric",),
}


class _Scanner:
    """A forgiving single-pass TOML scanner that records spans into a TomlLocator."""

    def __init__(self, text: str, sink: TomlLocator) -> None:
        self.s = text
        self.n = len(text)
        self.i = 0
        self.sink = sink
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.table: PathKey = ()
        self.aot_counts: dict[PathKey, int] = {}

    # -- positions ----------------------------------------------------------------------------

    def span(self, start: int, end: int) -> Span:
        line, col = self.pos(start)
        end_line, end_col = self.pos(end)
        return Span(line, col, end_line, end_col)

    def pos(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    # -- low-level movement -------------------------------------------------------------------

    def skip_blanks(self) -> None:
        s, n, i = self.s, self.n, self.i
        while i < n and s[i] in " \t":
            i += 1
        self.i = i

    def skip_to_eol(self) -> None:
        end = self.s.find("\n", self.i)
        self.i = self.n if end < 0 else end

    def skip_space_newlines_comments(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#":
                self.skip_to_eol()
            else:
                return

    # -- statements ---------------------------------------------------------------------------

    def run(self) -> None:
        s, n = self.s, self.n
        while self.i < n:
            self.skip_blanks()
            if self.i >= n:
                break
            c = s[self.i]
            if c == "\n":
                self.i += 1
                continue
            if c == "#":
                self.skip_to_eol()
                continue
            before = self.i
            if c == "[":
                self.header()
            else:
                self.keyval()
            # Whatever is left on the line (a comment, or junk) is skipped; always make progress.
            self.skip_to_eol()
            if self.i <= before:
                self.i = before + 1

    def header(self) -> None:
        start = self.i
        is_array = self.s.startswith("[[", start)
        self.i += 2 if is_array else 1
        keys = self.key()
        self.skip_blanks()
        close = "]]" if is_array else "]"
        if keys is None or not self.s.startswith(close, self.i):
            return
        self.i += len(close)
        span = self.span(start, self.i)
        resolved: list[str | int] = []
        for seg in keys[:-1]:
            resolved.append(seg)
            count = self.aot_counts.get(tuple(resolved))
            if count:
                resolved.append(count - 1)  # `[[a.b]]` after `[[a]]` belongs to the last `a`
        resolved.append(keys[-1])
        if is_array:
            array_path = tuple(resolved)
            index = self.aot_counts.get(array_path, 0)
            self.aot_counts[array_path] = index + 1
            resolved.append(index)
        path = tuple(resolved)
        for cut in range(1, len(path)):
            self.sink._record_implicit(path[:cut], span)
        self.sink._record(path, span)
        self.table = path

    def keyval(self, base: PathKey | None = None, depth: int = 0) -> bool:
        """Parse `key = value` at self.i and record it under base (the current table).
        Returns False when no key/value could be read (nothing recorded)."""
        table = self.table if base is None else base
        start = self.i
        keys = self.key()
        if keys is None:
            return False
        self.skip_blanks()
        if self.i >= self.n or self.s[self.i] != "=":
            return False
        self.i += 1
        self.skip_blanks()
        path = table + tuple(keys)
        end = self.value(path, depth)
        self.i = end
        span = self.span(start, end)
        for cut in range(len(table) + 1, len(path)):
            self.sink._record_implicit(path[:cut], span)
        self.sink._record(path, span)
        return True

    def key(self) -> list[str] | None:
        """A dotted key at self.i; None (position unchanged) when there is none."""
        start = self.i
        parts: list[str] = []
        while True:
            self.skip_blanks()
            if self.i >= self.n:
                break
            c = self.s[self.i]
            if c == '"':
                text = self.basic_string_value()
            elif c == "'":
                close = self.s.find("'", self.i + 1)
                newline = self.s.find("\n", self.i + 1)
                if close < 0 or (0 <= newline < close):
                    text = None
                else:
                    text = self.s[self.i + 1 : close]
                    self.i = close + 1
            else:
                m = _BARE_KEY.match(self.s, self.i)
                text = m.group() if m else None
                if m:
                    self.i = m.end()
            if text is None:
                break
            parts.append(text)
            self.skip_blanks()
            if self.i < self.n and self.s[self.i] == ".":
                self.i += 1
                continue
            return parts
        self.i = start
        return None

    def basic_string_value(self) -> str | None:
        """Decode a one-line "..." string at self.i (used for quoted keys)."""
        s, n = self.s, self.n
        i = self.i + 1
        out: list[str] = []
        while i < n:
            c = s[i]
            if c == '"':
                self.i = i + 1
                return "".join(out)
            if c == "\n":
                return None
            if c == "\\" and i + 1 < n:
                esc = s[i + 1]
                if esc in "uU":
                    width = 4 if esc == "u" else 8
                    digits = s[i + 2 : i + 2 + width]
                    try:
                        out.append(chr(int(digits, 16)))
                    except ValueError:
                        out.append(digits)
                    i += 2 + width
                    continue
                out.append(_ESCAPES.get(esc, esc))
                i += 2
                continue
            out.append(c)
            i += 1
        return None

    # -- values -------------------------------------------------------------------------------

    def value(self, path: PathKey, depth: int) -> int:
        """Skip the value at self.i, recording nested keys and elements; returns its end offset."""
        s, n, i = self.s, self.n, self.i
        if i >= n:
            return i
        if s.startswith('"""', i):
            return self.multiline_basic_end(i)
        if s.startswith("'''", i):
            close = s.find("'''", i + 3)
            if close < 0:
                return n
            end = close + 3
            while end < n and s[end] == "'" and end - close < 5:
                end += 1
            return end
        c = s[i]
        if c == '"':
            j = i + 1
            while j < n and s[j] not in '"\n':
                j += 2 if s[j] == "\\" else 1
            return min(j + 1, n) if j < n and s[j] == '"' else min(j, n)
        if c == "'":
            close = s.find("'", i + 1)
            newline = s.find("\n", i + 1)
            if close < 0 or (0 <= newline < close):
                return n if newline < 0 else newline
            return close + 1
        if c in "[{" and depth >= _MAX_DEPTH:
            return self.skip_bracketed(i)
        if c == "[":
            return self.array(path, depth)
        if c == "{":
            return self.inline_table(path, depth)
        j = i
        while j < n and s[j] not in ",]}#\n":
            j += 1
        while j > i and s[j - 1] in " \t\r":
            j -= 1
        return j

    def multiline_basic_end(self, i: int) -> int:
        s, n = self.s, self.n
        j = i + 3
        while j < n:
            if s[j] == "\\":
                j += 2
                continue
            if s.startswith('"""', j):
                end = j + 3
                while end < n and s[end] == '"' and end - j < 5:
                    end += 1
                return end
            j += 1
        return n

    def skip_bracketed(self, i: int) -> int:
        """Skip a too-deeply nested array/table without recording it (strings ignored)."""
        s, n = self.s, self.n
        level = 0
        j = i
        while j < n:
            c = s[j]
            if c in "[{":
                level += 1
            elif c in "]}":
                level -= 1
                if level == 0:
                    return j + 1
            j += 1
        return n

    def array(self, path: PathKey, depth: int) -> int:
        s, n = self.s, self.n
        self.i += 1
        index = 0
        while True:
            self.skip_space_newlines_comments()
            if self.i >= n:
                return n
            c = s[self.i]
            if c == "]":
                return self.i + 1
            if c == ",":
                self.i += 1
                continue
            start = self.i
            element = (*path, index)
            end = self.value(element, depth + 1)
            if end <= start:
                if c == "}":
                    return start  # broken input: let the caller recover
                self.i = start + 1
                continue
            self.sink._record(element, self.span(start, end))
            index += 1
            self.i = end

    def inline_table(self, path: PathKey, depth: int) -> int:
        s, n = self.s, self.n
        self.i += 1
        while True:
            self.skip_space_newlines_comments()
            if self.i >= n:
                return n
            c = s[self.i]
            if c == "}":
                return self.i + 1
            if c == ",":
                self.i += 1
                continue
            if c == "]":
                return self.i  # broken input: let the enclosing array recover
            start = self.i
            if not self.keyval(path, depth + 1) and self.i <= start:
                self.i = start + 1
