"""Dockerfile parser: instructions with exact line numbers, then a stage model with ARGs resolved.

The splitter follows BuildKit's rules (parser directives, the `escape` character, continuations that
skip comment and blank lines, heredocs on RUN/COPY/ADD, a continuation left open at EOF) and never
raises: whatever it cannot read becomes a FLY001 finding with a location and the rest is kept.

It is our own tokenizer rather than dockerfile-parse: the pre-pass that keeps line numbers right
(heredocs, blank lines in continuations, the escape directive, an open continuation at EOF) already
splits the file, dockerfile-parse costs 10-14 ms to import on every run, and it is quadratic on long
continuations (about 1.3 s for one 50,000-line RUN). The tests compare both on ordinary files.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import field

from flylint.findings import Finding, Location
from flylint.lazyre import lazy
from flylint.records import record
from flylint.sources import SourceFile

KNOWN_INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
# Instructions whose leading `--name[=value]` words are flags.
FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
# Instructions that may be written as a JSON array (exec form).
JSON_INSTRUCTIONS = frozenset({"CMD", "ENTRYPOINT", "RUN", "SHELL", "COPY", "ADD", "VOLUME"})
# Instructions whose words the shell (not Docker) splits: quotes are plain shell quoting.
SHELL_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "ONBUILD"})
# Instructions whose words Docker processes itself (quotes removed, variables substituted).
EXPANDED_ARGS = frozenset({"ADD", "COPY", "EXPOSE", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
DIRECTIVES = frozenset({"syntax", "escape", "check"})
# ARGs BuildKit predefines in the global scope (values depend on the build machine).
AUTOMATIC_ARGS = (
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
)  # fmt: skip

_DIRECTIVE_RE = re.compile(r"^\s*#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC_WORD_RE = lazy(r"^(\d*)<<(-?)([^<]*)$")
_KEYWORD_RE = re.compile(r"(\S*)\s*")
_NAME_RE = lazy(r"[A-Za-z_][A-Za-z0-9_]*")
_SIMPLE_WORDS_RE = re.compile(r"\S+")
# A shell word: runs of unquoted characters, quoted strings and backslash escapes.
_SHELL_WORD_RE = re.compile(r"""(?:[^\s'"\\]+|'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.?)+""", re.S)
# The same, with Docker's escape character (backslash or backtick) in place of the backslash.
_DOCKER_WORD_RE = {
    "\\": _SHELL_WORD_RE,
    "`": lazy(r"""(?:[^\s'"`]+|'[^']*'?|"(?:[^"`]|`.)*"?|`.?)+""", re.S),
}
_PORT_RE = lazy(r"^(\d+)(?:-(\d+))?(?:/([A-Za-z]+))?$", re.ASCII)
MAX_EXPOSE_RANGE = 1024


class Flags(dict):
    """Instruction flags by name without the leading dashes (`from`, `chown`, `platform`).

    Lookups accept either spelling, so `flags["--from"]` and `flags.get("from")` agree."""

    @staticmethod
    def _norm(key: object) -> object:
        return key.lstrip("-").lower() if isinstance(key, str) else key

    def __getitem__(self, key):
        return super().__getitem__(self._norm(key))

    def __contains__(self, key) -> bool:
        return super().__contains__(self._norm(key))

    def get(self, key, default=None):
        return super().get(self._norm(key), default)


@record
class Heredoc:
    """The body of one `<<NAME` on a RUN/COPY/ADD."""

    name: str
    body: str
    line: int  # the `<<NAME` instruction line
    body_start: int  # first body line
    end_line: int  # the terminator line (last line of the file when unterminated)
    strip_tabs: bool = False  # `<<-NAME`
    expand: bool = True  # False for a quoted name (`<<"EOF"`)
    terminated: bool = True


@record(eq=False, slots=True)
class Instruction:
    keyword: str  # upper-cased
    value: str  # raw text after the keyword, continuations joined (flags included)
    line: int
    end_line: int
    column: int  # column of the keyword
    is_exec_form: bool = False
    flags: Flags = field(default_factory=Flags)
    raw_keyword: str = ""  # as written (casing kept)
    heredocs: Sequence[Heredoc] = ()
    # ENV / ARG / LABEL: (name, value, resolved); value None for an ARG without a default.
    pairs: Sequence[tuple[str, str | None, bool]] = ()
    workdir: str | None = None  # the WORKDIR in effect when this instruction runs
    stage_index: int | None = None  # None before the first FROM
    rest: str = field(default="", repr=False)  # the value after the flags
    escape: str = field(default="\\", repr=False)
    _args: list[str] | None = field(default=None, repr=False)

    @property
    def args(self) -> list[str]:
        """Exec-form list, or the words after the flags (shell-split; computed on first use)."""
        if self._args is None:
            if self.keyword in SHELL_INSTRUCTIONS:
                self._args = _shell_words(self.rest)
            else:
                self._args = _words(self.rest, self.escape)
        return self._args

    @args.setter
    def args(self, value: list[str]) -> None:
        self._args = list(value)

    @property
    def body(self) -> str:
        """The value with flags removed (the command, the image, the paths)."""
        return self.rest


@record(eq=False)
class Stage:
    index: int
    name: str | None  # lower-cased, as BuildKit treats stage names
    base: str  # FROM image with ARGs resolved (unresolvable parts kept as written)
    base_raw: str
    line: int
    source: SourceFile = field(repr=False, default=None)  # type: ignore[assignment]
    from_instruction: Instruction | None = field(repr=False, default=None)
    platform: str | None = None
    parent: Stage | None = field(repr=False, default=None)  # FROM <earlier stage>
    instructions: list[Instruction] = field(default_factory=list, repr=False)
    user: str | None = None
    user_line: int | None = None
    workdir: str | None = None
    workdir_line: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_lines: dict[str, int] = field(default_factory=dict)
    env_unresolved: set[str] = field(default_factory=set)
    args: dict[str, str | None] = field(default_factory=dict)
    expose: list[tuple[int, str]] = field(default_factory=list)
    expose_instructions: list[Instruction] = field(default_factory=list, repr=False)
    expose_unknown: bool = False  # an EXPOSE word could not be resolved to a port
    cmd: Instruction | None = None
    entrypoint: Instruction | None = None
    copies: list[Instruction] = field(default_factory=list, repr=False)
    base_resolved: bool = True  # False when the FROM image still holds `$` references

    @property
    def end_line(self) -> int:
        return self.instructions[-1].end_line if self.instructions else self.line

    @property
    def label(self) -> str:
        return self.name if self.name else str(self.index)

    def root(self) -> Stage:
        """The stage whose FROM names an external image (follows FROM <stage> chains)."""
        stage, seen = self, set()
        while stage.parent is not None and id(stage) not in seen:
            seen.add(id(stage))
            stage = stage.parent
        return stage

    def lineage(self) -> list[Stage]:
        """This stage and the stages it is built FROM, nearest first."""
        out, stage = [], self
        while stage is not None and stage not in out:
            out.append(stage)
            stage = stage.parent
        return out

    def vars_at(self, instr: Instruction) -> dict[str, str | None]:
        """ARG and ENV values in effect just before instr runs (None: declared, value unknown)."""
        values: dict[str, str | None] = {}
        env_names: set[str] = set()
        if self.parent is not None:
            for name, value in self.parent.env.items():
                values[name] = None if name in self.parent.env_unresolved else value
                env_names.add(name)
        for item in self.instructions:
            if item is instr or item.line >= instr.line:
                break
            if item.keyword == "ENV":
                for name, value, ok in item.pairs:
                    values[name] = value if ok else None
                    env_names.add(name)
            elif item.keyword == "ARG":
                for name, value, _ in item.pairs:
                    if name not in env_names:  # ENV wins over an ARG of the same name
                        values[name] = value
        return values

    def location(self, instr: Instruction, needle: str | None = None, label: str = "") -> Location:
        return instruction_location(self.source, instr, needle, label)


@record
class Dockerfile:
    source: SourceFile
    stages: list[Stage] = field(default_factory=list)
    runner: Stage | None = None
    global_args: dict[str, str | None] = field(default_factory=dict)
    global_arg_lines: dict[str, int] = field(default_factory=dict)
    instructions: list[Instruction] = field(default_factory=list, repr=False)
    directives: dict[str, str] = field(default_factory=dict)
    escape: str = "\\"
    comments: list[tuple[int, str]] = field(default_factory=list, repr=False)
    empty_continuation_lines: list[int] = field(default_factory=list)
    build_target: str | None = None
    target_found: bool | None = None  # None when no build_target was asked for

    @property
    def path(self) -> str:
        return self.source.path

    def stage(self, name: str) -> Stage | None:
        """The stage called name (case-insensitive) or with that index."""
        key = name.lower()
        for stage in self.stages:
            if stage.name == key:
                return stage
        if key.isdigit() and int(key) < len(self.stages):
            return self.stages[int(key)]
        return None

    def location(self, instr: Instruction, needle: str | None = None, label: str = "") -> Location:
        return instruction_location(self.source, instr, needle, label)

    def line_one(self, label: str = "") -> Location:
        """Line 1: where image-wide absences are reported."""
        first = self.source.line(1)
        return Location(self.path, 1, 1, 1, max(len(first), 1) + 1, label)


def instruction_location(
    src: SourceFile, instr: Instruction, needle: str | None = None, label: str = ""
) -> Location:
    """The span of instr, or of the first occurrence of needle inside it."""
    if needle:
        for number in range(instr.line, instr.end_line + 1):
            text = src.line(number)
            start = text.find(needle, instr.column - 1 if number == instr.line else 0)
            if start >= 0:
                return Location(src.path, number, start + 1, number, start + len(needle) + 1, label)
    end_text = src.line(instr.end_line)
    return Location(
        src.path, instr.line, instr.column, instr.end_line, max(len(end_text), 1) + 1, label
    )


# --------------------------------------------------------------------------------------------------
# Splitting the file into instructions


@record(slots=True)
class _Raw:
    keyword: str
    value: str
    line: int
    end_line: int
    column: int
    heredocs: list[Heredoc]


class _Problems:
    """FLY001 findings of one file; repeated kinds are counted, not repeated."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Finding] = []
        self._first: dict[str, int] = {}
        self._counts: dict[str, int] = {}

    def add(
        self,
        kind: str,
        message: str,
        line: int,
        column: int = 1,
        end: int | None = None,
        severity: str | None = None,
    ) -> None:
        if kind in self._first:
            self._counts[kind] += 1
            return
        self._first[kind] = len(self.items)
        self._counts[kind] = 0
        loc = Location(self.path, line, column, line, end if end is not None else column)
        key = f"{self.path}:{kind}"
        self.items.append(Finding("FLY001", message, loc, severity=severity, key=key))

    def findings(self) -> list[Finding]:
        out = list(self.items)
        for kind, index in self._first.items():
            more = self._counts[kind]
            if more:
                f = out[index]
                extra = f" (and {more} more like it)"
                out[index] = Finding(
                    f.rule, f.message + extra, f.location, severity=f.severity, key=f.key
                )
        return out


def _lines_of(src: SourceFile) -> list[str]:
    text = src.text
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline does not start a line
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _cut_continuation(text: str, escape: str) -> tuple[str, bool]:
    """(text without the trailing escape, continues). As BuildKit: the escape character (then
    spaces or tabs) ends the line, unless it is itself escaped."""
    trimmed = text.rstrip(" \t")
    if trimmed.endswith(escape) and (len(trimmed) == 1 or trimmed[-2] != escape):
        return trimmed[:-1], True
    return text, False


def _read_directives(lines: list[str], problems: _Problems) -> tuple[dict[str, str], int]:
    """Parser directives at the very top; returns them and the index of the first other line."""
    directives: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _DIRECTIVE_RE.match(lines[i])
        if not m or m.group(1).lower() not in DIRECTIVES:
            break
        key = m.group(1).lower()
        if key in directives:
            problems.add("directive", f"only one {key} parser directive can be used", i + 1)
            break
        directives[key] = m.group(2)
        if key == "escape" and m.group(2) not in ("\\", "`"):
            col = lines[i].find(m.group(2)) + 1
            problems.add(
                "escape",
                f"invalid escape directive {m.group(2)!r}: must be \\ or `",
                i + 1,
                col,
                col + len(m.group(2)),
            )
        i += 1
    return directives, i


def _split(lines: list[str], start: int, escape: str, problems: _Problems, df: Dockerfile):
    """Raw instructions with 1-based line spans; records comments and empty continuations."""
    n = len(lines)
    i = start
    out: list[_Raw] = []
    comments = df.comments
    while i < n:
        raw = lines[i]
        text = raw.lstrip()
        if not text or text[0] == "#":
            if text:
                comments.append((i + 1, text[1:].strip()))
            i += 1
            continue
        column = len(raw) - len(text) + 1
        first = last = i
        tail = text[-1]
        if tail == escape or tail == " " or tail == "\t":
            body, open_cont = _cut_continuation(text, escape)
        else:
            body, open_cont = text, False
        parts = [body]
        first_empty = 0
        i += 1
        while open_cont and i < n:
            nxt = lines[i]
            s = nxt.lstrip()
            if not s or s[0] == "#":
                if s:
                    comments.append((i + 1, s[1:].strip()))
                else:
                    df.empty_continuation_lines.append(i + 1)
                    first_empty = first_empty or i + 1
                i += 1
                continue
            tail = nxt[-1]
            if tail == escape or tail == " " or tail == "\t":
                body, open_cont = _cut_continuation(nxt, escape)
            else:
                body, open_cont = nxt, False
            parts.append(body)
            last = i
            i += 1
        joined = parts[0] if len(parts) == 1 else "".join(parts)
        m = _KEYWORD_RE.match(joined)
        keyword = m.group(1)
        value = joined[m.end() :].strip()
        item = _Raw(keyword, value, first + 1, last + 1, column, ())
        if first_empty:
            problems.add(
                "empty-continuation",
                f"empty line inside the continuation of the {keyword.upper()} at line {first + 1}: "
                "BuildKit skips it with a NoEmptyContinuation warning, and future Dockerfile "
                "syntax versions will reject it",
                first_empty,
                severity="warning",
            )
        if open_cont:  # the file ended while the instruction still continued
            text_last = lines[last].rstrip(" \t")
            problems.add(
                "eof-continuation",
                f"the file ends inside a continuation (trailing {escape} on line {last + 1}): "
                f"the {keyword.upper()} instruction may be truncated",
                last + 1,
                len(text_last),
                len(text_last) + 1,
                severity="warning",
            )
        if (
            keyword.upper() in HEREDOC_INSTRUCTIONS
            and "<<" in value
            and _exec_form(_strip_flags(value)) is None
        ):
            i = _read_heredocs(item, lines, i, escape, problems)
        out.append(item)
    return out


def _read_heredocs(item: _Raw, lines: list[str], i: int, escape: str, problems: _Problems) -> int:
    """Attach heredoc bodies that follow item; returns the index of the next unread line."""
    markers = []
    for word in _words(item.value, escape):
        m = _HEREDOC_WORD_RE.match(word)
        if not m or not m.group(3):
            continue
        name, expand = m.group(3), True
        if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
            name, expand = name[1:-1], False
        elif name[0] in "'\"" or name[-1] in "'\"":
            continue  # mismatched quotes: not a heredoc for BuildKit either
        if name:
            markers.append((name, m.group(2) == "-", expand))
    n = len(lines)
    docs: list[Heredoc] = []
    for name, strip_tabs, expand in markers:
        body_start = i
        body: list[str] = []
        terminated = False
        while i < n:
            text = lines[i]
            candidate = text.lstrip("\t") if strip_tabs else text
            i += 1
            if candidate == name:
                terminated = True
                break
            body.append(candidate)
        end_line = i if terminated else n
        docs.append(
            Heredoc(
                name, "\n".join(body) + ("\n" if body else ""), item.line, body_start + 1,
                end_line, strip_tabs, expand, terminated,
            )
        )  # fmt: skip
        item.end_line = max(item.end_line, end_line)
        if not terminated:
            col = _find_col(lines[item.line - 1], "<<")
            problems.add(
                "heredoc",
                f"unterminated heredoc <<{name}: no line reads {name!r} before the end of the file",
                item.line,
                col,
                col + 2 + len(name),
            )
    if docs:
        item.heredocs = docs
    return i


def _find_col(text: str, needle: str) -> int:
    pos = text.find(needle)
    return pos + 1 if pos >= 0 else 1


# --------------------------------------------------------------------------------------------------
# Words, quotes and variables (Docker's shell-like rules for ENV, ARG, FROM, USER, ...)


def _raw_words(text: str, escape: str) -> Iterator[tuple[str, int, int]]:
    """Words split on unquoted whitespace, quotes kept: (word, start, end)."""
    pattern = _SIMPLE_WORDS_RE
    if "'" in text or '"' in text or escape in text:
        pattern = _DOCKER_WORD_RE[escape]
    for m in pattern.finditer(text):
        yield m.group(), m.start(), m.end()


def _words(text: str, escape: str) -> list[str]:
    """Words split on unquoted whitespace, quotes kept."""
    if "'" in text or '"' in text or escape in text:
        return _DOCKER_WORD_RE[escape].findall(text)
    return text.split()


def _shell_words(text: str) -> list[str]:
    """Words as a POSIX shell would split them (quotes removed, no expansion); never raises."""
    out = []
    for m in _SHELL_WORD_RE.finditer(text):
        out.append(_unquote_shell(m.group()))
    return out


def _unquote_shell(word: str) -> str:
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    buf = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        if c == "'":
            j = word.find("'", i + 1)
            j = n if j < 0 else j
            buf.append(word[i + 1 : j])
            i = j + 1
        elif c == '"':
            i += 1
            while i < n and word[i] != '"':
                if word[i] == "\\" and i + 1 < n and word[i + 1] in '"\\$`':
                    i += 1
                buf.append(word[i])
                i += 1
            i += 1
        elif c == "\\" and i + 1 < n:
            buf.append(word[i + 1])
            i += 2
        else:
            buf.append(c)
            i += 1
    return "".join(buf)


class _Expander:
    """Docker's word processing: quote removal, escapes and `$VAR` / `${VAR...}` expansion.

    values maps a name to its value, or to None when it is declared but its value is unknown
    (an ARG without default). An unknown reference is kept as written and marks the result
    unresolved; a name that is not declared expands to '' when missing_is_empty, else it is
    unknown too (inside a stage it may come from the base image's environment)."""

    def __init__(self, values: Mapping[str, str | None], escape: str, missing_is_empty: bool):
        self.values = values
        self.escape = escape
        self.missing_is_empty = missing_is_empty
        self.resolved = True

    def word(self, text: str) -> str:
        if "$" not in text and "'" not in text and '"' not in text and self.escape not in text:
            return text
        out: list[str] = []
        i, n = 0, len(text)
        esc = self.escape
        while i < n:
            c = text[i]
            if c == esc and i + 1 < n:
                out.append(text[i + 1])
                i += 2
            elif c == "'":
                j = text.find("'", i + 1)
                j = n if j < 0 else j
                out.append(text[i + 1 : j])
                i = j + 1
            elif c == '"':
                i += 1
                while i < n and text[i] != '"':
                    d = text[i]
                    if d == esc and i + 1 < n and text[i + 1] in ('"', "$", esc):
                        out.append(text[i + 1])
                        i += 2
                    elif d == "$":
                        piece, i = self._dollar(text, i)
                        out.append(piece)
                    else:
                        out.append(d)
                        i += 1
                i += 1
            elif c == "$":
                piece, i = self._dollar(text, i)
                out.append(piece)
            else:
                out.append(c)
                i += 1
        return "".join(out)

    def _lookup(self, name: str) -> tuple[bool, str | None]:
        """(known, value): value None with known=True means 'unset'."""
        if name in self.values:
            value = self.values[name]
            if value is None:
                return False, None
            return True, value
        if self.missing_is_empty:
            return True, None
        return False, None

    def _dollar(self, text: str, i: int) -> tuple[str, int]:
        """Expand the reference at text[i] == '$'; returns (expansion, next index)."""
        n = len(text)
        if i + 1 < n and text[i + 1] == "{":
            depth, j = 1, i + 2
            while j < n and depth:
                if text[j] == "{" and text[j - 1] == "$":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                self.resolved = False
                return text[i:], n
            inner = text[i + 2 : j - 1]
            return self._braced(inner, text[i:j]), j
        m = _NAME_RE.match(text, i + 1)
        if not m:
            return "$", i + 1
        known, value = self._lookup(m.group())
        if not known:
            self.resolved = False
            return text[i : m.end()], m.end()
        return value or "", m.end()

    def _braced(self, inner: str, raw: str) -> str:
        m = _NAME_RE.match(inner)
        if not m:
            self.resolved = False
            return raw
        name, rest = m.group(), inner[m.end() :]
        known, value = self._lookup(name)
        if not rest:
            if not known:
                self.resolved = False
                return raw
            return value or ""
        op = rest[:2] if rest[:2] in (":-", ":+", ":?") else rest[:1]
        if op not in (":-", ":+", ":?", "-", "+", "?"):
            self.resolved = False  # ${V#pat}, ${V%pat} and friends: not modelled
            return raw
        word = rest[len(op) :]
        if not known:
            self.resolved = False
            return raw
        is_set = value is not None
        non_empty = bool(value)
        if op == ":-":
            return value if non_empty else self.word(word)  # type: ignore[return-value]
        if op == "-":
            return value if is_set else self.word(word)  # type: ignore[return-value]
        if op == ":+":
            return self.word(word) if non_empty else ""
        if op == "+":
            return self.word(word) if is_set else ""
        # ${V:?msg} / ${V?msg}: an error when unset; we only report what we know.
        if (op == ":?" and non_empty) or (op == "?" and is_set):
            return value or ""
        self.resolved = False
        return raw


def expand(
    text: str,
    values: Mapping[str, str | None],
    escape: str = "\\",
    missing_is_empty: bool = False,
) -> tuple[str, bool]:
    """Process one Docker word (quotes, escapes, variables): (result, fully resolved)."""
    if not _needs_processing(text, escape):
        return text, True
    ex = _Expander(values, escape, missing_is_empty)
    result = ex.word(text)
    return result, ex.resolved


def _needs_processing(text: str, escape: str) -> bool:
    return "$" in text or "'" in text or '"' in text or escape in text


def _strip_flags(value: str) -> str:
    rest = value
    while rest.startswith("--"):
        m = re.match(r"--\S*\s*", rest)
        if not m:
            break
        rest = rest[m.end() :]
    return rest


# --------------------------------------------------------------------------------------------------
# From raw instructions to the stage model


def _parse_flags(value: str, escape: str) -> tuple[Flags, str]:
    flags = Flags()
    rest_at = 0
    for word, _, end in _raw_words(value, escape):
        if not word.startswith("--") or len(word) == 2:
            break
        name, sep, flag_value = word[2:].partition("=")
        flags[name.lower()] = flag_value if sep else "true"
        rest_at = end
    return flags, value[rest_at:].lstrip()


def _exec_form(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested arrays past json's limit
        return None
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return data
    return None


def _pairs(
    value: str, keyword: str, values: Mapping[str, str | None], escape: str, missing_empty: bool
) -> tuple[list[tuple[str, str | None, bool]], str | None]:
    """NAME=value pairs of ENV/ARG/LABEL (and legacy `ENV NAME value`); (pairs, error)."""
    words = _words(value, escape)
    if not words:
        return [], f"{keyword} needs at least one argument"
    out: list[tuple[str, str | None, bool]] = []
    if keyword == "ENV" and "=" not in words[0]:
        # Legacy form: the first word is the name, the rest of the line (one word) its value.
        name = words[0]
        first = next(_raw_words(value, escape))
        rest = value[first[2] :].strip()
        if not rest:
            return [], f"ENV {name} has no value (use ENV {name}=value)"
        text, ok = expand(rest, values, escape, missing_empty)
        return [(name, text, ok)], None
    for word in words:
        name, sep, raw_value = word.partition("=")
        if keyword == "ARG":
            if not sep:
                out.append((name, None, True))
                continue
        elif not sep:
            return out, f"{keyword} {word!r} has no '=' (use NAME=value)"
        if keyword == "LABEL":
            name, _ = expand(name, values, escape, missing_empty)
        text, ok = expand(raw_value, values, escape, missing_empty)
        out.append((name, text, ok))
    return out, None


def _join_workdir(current: str | None, path: str) -> str:
    base = current or "/"
    joined = path if path.startswith("/") else posixpath.join(base, path)
    norm = posixpath.normpath(joined)
    return "/" + norm.lstrip("/") if norm.startswith("/") else norm


class _Builder:
    """Walks raw instructions once, building stages and recording FLY001 problems."""

    def __init__(
        self,
        df: Dockerfile,
        problems: _Problems,
        build_args: Mapping[str, str],
    ) -> None:
        self.df = df
        self.problems = problems
        self.build_args = dict(build_args)
        self.escape = df.escape
        self.global_values: dict[str, str | None] = {name: None for name in AUTOMATIC_ARGS}
        self.stage: Stage | None = None
        self.values: dict[str, str | None] = {}  # ARG + ENV of the current stage
        self.cmd_inherited = False
        self.names: dict[str, Stage] = {}  # stage name -> first stage of that name
        self.handlers = {
            "ARG": self.on_arg,
            "ENV": self.on_env,
            "LABEL": self.on_label,
            "USER": self.on_user,
            "WORKDIR": self.on_workdir,
            "EXPOSE": self.on_expose,
            "CMD": self.on_cmd,
            "ENTRYPOINT": self.on_entrypoint,
            "COPY": self.on_copy,
            "ADD": self.on_copy,
        }

    def add(self, raw: _Raw) -> None:
        keyword = raw.keyword.upper()
        instr = Instruction(
            keyword=keyword,
            value=raw.value,
            line=raw.line,
            end_line=raw.end_line,
            column=raw.column,
            raw_keyword=raw.keyword,
            heredocs=raw.heredocs,
        )
        self.df.instructions.append(instr)
        if keyword not in KNOWN_INSTRUCTIONS:
            shown = "".join(c if c.isprintable() else "?" for c in raw.keyword[:30])
            shown += "..." if len(raw.keyword) > 30 else ""
            self.problems.add(
                "unknown-instruction",
                f"unknown instruction '{shown}'; not a Dockerfile instruction",
                raw.line,
                raw.column,
                raw.column + len(raw.keyword),
            )
            if self.stage is not None:
                instr.stage_index = self.stage.index
                self.stage.instructions.append(instr)
            return
        instr.escape = self.escape
        if keyword in FLAG_INSTRUCTIONS and raw.value.startswith("--"):
            instr.flags, instr.rest = _parse_flags(raw.value, self.escape)
        else:
            instr.rest = raw.value
        if keyword in JSON_INSTRUCTIONS and instr.rest.startswith("["):
            exec_args = _exec_form(instr.rest)
            if exec_args is not None:
                instr.is_exec_form = True
                instr.args = exec_args
        if keyword == "FROM":
            self.start_stage(instr)
            return
        if self.stage is None:
            if keyword == "ARG":
                self.global_arg(instr)
            else:
                self.problems.add(
                    "before-from",
                    f"{keyword} before the first FROM (only ARG may come first)",
                    raw.line,
                    raw.column,
                    raw.column + len(raw.keyword),
                )
            return
        instr.stage_index = self.stage.index
        instr.workdir = self.stage.workdir
        self.stage.instructions.append(instr)
        if keyword in EXPANDED_ARGS and _needs_processing(instr.rest, self.escape):
            # Docker substitutes variables in these words itself; do it while the values hold.
            instr.args = [expand(w, self.values, self.escape, False)[0] for w in instr.args]
        handler = self.handlers.get(keyword)
        if handler is not None:
            handler(instr)

    # -- global scope -----------------------------------------------------------------------------

    def global_arg(self, instr: Instruction) -> None:
        pairs, error = _pairs(instr.value, "ARG", self.global_values, self.escape, True)
        if error:
            self.problem(instr, error)
        resolved_pairs = []
        for name, value, ok in pairs:
            if name in self.build_args:
                value, ok = self.build_args[name], True
            # A partly resolved default is kept as text, but FROM treats it as unknown.
            self.global_values[name] = value if ok else None
            self.df.global_args[name] = value
            self.df.global_arg_lines[name] = instr.line
            resolved_pairs.append((name, value, ok))
        instr.pairs = resolved_pairs

    # -- stages -----------------------------------------------------------------------------------

    def start_stage(self, instr: Instruction) -> None:
        words = _words(instr.rest, self.escape)
        name = None
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
        elif len(words) != 1:
            self.problem(
                instr,
                "FROM needs an image, optionally followed by AS <name>"
                + (f" (found {len(words)} words)" if words else ""),
            )
        base_raw = words[0] if words else ""
        base, ok = expand(base_raw, self.global_values, self.escape, True)
        platform = instr.flags.get("platform")
        if platform is not None:
            platform, _ = expand(platform, self.global_values, self.escape, True)
        index = len(self.df.stages)
        parent = self._named(base) if ok else None
        stage = Stage(
            index=index,
            name=name,
            base=base,
            base_raw=base_raw,
            line=instr.line,
            source=self.df.source,
            from_instruction=instr,
            platform=platform,
            parent=parent,
            base_resolved=ok,
        )
        if name is not None and self._named(name) is not None:
            self.problem(instr, f"duplicate stage name {name!r}", needle=words[2])
        if parent is not None:
            stage.user, stage.user_line = parent.user, parent.user_line
            stage.workdir, stage.workdir_line = parent.workdir, parent.workdir_line
            stage.env = dict(parent.env)
            stage.env_lines = dict(parent.env_lines)
            stage.env_unresolved = set(parent.env_unresolved)
            stage.expose = list(parent.expose)
            stage.expose_instructions = list(parent.expose_instructions)
            stage.expose_unknown = parent.expose_unknown
            stage.cmd, stage.entrypoint = parent.cmd, parent.entrypoint
        instr.stage_index = index
        if name is not None:
            self.names.setdefault(name, stage)
        self.df.stages.append(stage)
        self.stage = stage
        self.values = dict(stage.env)
        self.cmd_inherited = stage.cmd is not None

    def _named(self, name: str) -> Stage | None:
        return self.names.get(name.lower())

    def on_arg(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        pairs, error = _pairs(instr.value, "ARG", self.values, self.escape, False)
        if error:
            self.problem(instr, error)
        out = []
        for name, value, ok in pairs:
            if name in self.build_args:
                value, ok = self.build_args[name], True
            elif value is None and name in self.df.global_args:
                value = self.df.global_args[name]  # `ARG NAME` re-declares a global ARG
            elif value is not None and not ok:
                value = None
            stage.args[name] = value
            if name not in stage.env:  # ENV wins over ARG of the same name
                self.values[name] = value
            out.append((name, value, ok))
        instr.pairs = out

    def on_env(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        pairs, error = _pairs(instr.value, "ENV", self.values, self.escape, False)
        if error:
            self.problem(instr, error)
        instr.pairs = list(pairs)
        for name, value, ok in pairs:
            text = value or ""
            stage.env[name] = text
            stage.env_lines[name] = instr.line
            if ok:
                stage.env_unresolved.discard(name)
                self.values[name] = text
            else:
                stage.env_unresolved.add(name)
                self.values[name] = None

    def on_label(self, instr: Instruction) -> None:
        pairs, error = _pairs(instr.value, "LABEL", self.values, self.escape, False)
        if error:
            self.problem(instr, error)
        instr.pairs = pairs

    def on_user(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        if not instr.value:
            self.problem(instr, "USER needs a user name or UID")
            return
        text, _ = expand(instr.value, self.values, self.escape, False)
        stage.user, stage.user_line = text.strip(), instr.line

    def on_workdir(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        if not instr.value:
            self.problem(instr, "WORKDIR needs a path")
            return
        text, _ = expand(instr.value, self.values, self.escape, False)
        stage.workdir = _join_workdir(stage.workdir, text.strip())
        stage.workdir_line = instr.line

    def on_expose(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        stage.expose_instructions.append(instr)  # inherited EXPOSEs stay: Docker merges them
        value = instr.value
        if value.isascii() and value.isdigit():  # the common `EXPOSE 4000`
            port = (int(value), "tcp")
            if port not in stage.expose:
                stage.expose.append(port)
            return
        for word in _words(value, self.escape):
            text, ok = expand(word, self.values, self.escape, False)
            m = _PORT_RE.match(text.strip())
            if not ok:
                stage.expose_unknown = True
                continue
            low = int(m.group(1)) if m else 0
            high = int(m.group(2)) if m and m.group(2) else low
            if not m or not 0 < low <= 65535 or not 0 < high <= 65535:
                self.problem(instr, f"EXPOSE {text!r} is not a port (PORT or PORT/PROTO)", word)
                continue
            proto = (m.group(3) or "tcp").lower()
            if high - low >= MAX_EXPOSE_RANGE or high < low:
                stage.expose_unknown = True
                continue
            seen = set(stage.expose) if len(stage.expose) < 64 else None
            for port in range(low, high + 1):
                if seen is None or (port, proto) not in seen:
                    stage.expose.append((port, proto))
            if seen is None:  # many EXPOSEs: dedupe once, keeping order
                stage.expose = list(dict.fromkeys(stage.expose))

    def on_cmd(self, instr: Instruction) -> None:
        assert self.stage is not None
        self.stage.cmd = instr
        self.cmd_inherited = False

    def on_entrypoint(self, instr: Instruction) -> None:
        stage = self.stage
        assert stage is not None
        stage.entrypoint = instr
        if self.cmd_inherited:  # Docker drops an inherited CMD when ENTRYPOINT is set
            stage.cmd = None
            self.cmd_inherited = False

    def on_copy(self, instr: Instruction) -> None:
        assert self.stage is not None
        flags = instr.flags
        for key, value in list(flags.items()):
            if key in ("from", "chown", "chmod") and _needs_processing(value, self.escape):
                flags[key] = expand(value, self.values, self.escape, False)[0]
        self.stage.copies.append(instr)

    def problem(self, instr: Instruction, message: str, needle: str | None = None) -> None:
        loc = instruction_location(self.df.source, instr, needle)
        kind = f"{instr.keyword}:{message}"
        self.problems.add(kind, message, loc.line, loc.column, loc.end_column)


def parse_dockerfile(
    src: SourceFile,
    build_target: str | None = None,
    build_args: Mapping[str, str] | None = None,
) -> tuple[Dockerfile, list[Finding]]:
    """Parse a Dockerfile. Always returns a Dockerfile (maybe without stages); problems are FLY001.

    build_target picks the runner stage (else the last); build_args (fly.toml [build.args]) override
    ARG defaults the way `--build-arg` does."""
    df = Dockerfile(source=src, build_target=build_target)
    problems = _Problems(src.path)
    try:
        _parse_into(df, problems, build_args or {})
    except Exception as err:  # a parser bug must not lose the file's other findings
        problems.add("internal", f"Dockerfile parser failed: {type(err).__name__}: {err}", 1)
    return df, problems.findings()


def _parse_into(df: Dockerfile, problems: _Problems, build_args: Mapping[str, str]) -> None:
    lines = _lines_of(df.source)
    df.directives, start = _read_directives(lines, problems)
    escape = df.directives.get("escape", "\\")
    df.escape = escape if escape in ("\\", "`") else "\\"
    builder = _Builder(df, problems, build_args)
    for raw in _split(lines, start, df.escape, problems, df):
        builder.add(raw)
    if not df.stages:
        if any(line.strip() for line in lines):
            problems.add("no-from", "no FROM instruction: this is not a Dockerfile", 1)
        else:
            problems.add("no-from", "the Dockerfile is empty (no FROM instruction)", 1)
        return
    df.runner = df.stages[-1]
    if df.build_target:
        target = df.stage(df.build_target)
        df.target_found = target is not None
        if target is not None:
            df.runner = target


# --------------------------------------------------------------------------------------------------
# .dockerignore (BuildKit semantics: context-relative patterns, last match wins, `!` re-includes)


@record(frozen=True)
class DockerIgnore:
    patterns: tuple[tuple[bool, re.Pattern[str], str, int], ...]  # (negated, regex, text, line)

    def excludes(self, path: str) -> bool:
        """True when path (context-relative, forward slashes) is left out of the build context.

        A path is out when the last pattern matching it, or one of its parent directories, is not
        a `!` re-include."""
        path = posixpath.normpath(path.lstrip("/"))
        candidates = [path]
        parts = path.split("/")
        candidates += ["/".join(parts[:k]) for k in range(1, len(parts))]
        excluded = False
        for negated, regex, _, _ in self.patterns:
            if any(regex.fullmatch(c) for c in candidates):
                excluded = not negated
        return excluded

    def matching_line(self, path: str) -> int | None:
        """Line of the last pattern that matches path itself (for related locations)."""
        found = None
        for _, regex, _, line in self.patterns:
            if regex.fullmatch(path):
                found = line
        return found


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                # Escape what Python's re would read as set syntax (nested sets, set operators).
                body = pattern[i + 1 : end].replace("\\", "\\\\").replace("[", "\\[")
                for op in ("&&", "||", "~~"):
                    body = body.replace(op, "\\" + op[0] + op[1])
                if body[:1] in ("!", "^"):  # Go's filepath.Match negation
                    body = "^" + body[1:]
                out.append("[" + body + "]")
                i = end
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern))


def parse_dockerignore(text: str) -> DockerIgnore:
    """Read a .dockerignore; never raises (an unreadable pattern matches only itself)."""
    patterns = []
    for number, raw in enumerate(text.lstrip("\ufeff").split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:].strip()
        if not line:
            continue
        line = posixpath.normpath(line)
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/") or "/"
        patterns.append((negated, _glob_regex(line), line, number))
    return DockerIgnore(tuple(patterns))
