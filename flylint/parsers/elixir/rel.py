"""Release shell scripts: `rel/env.sh.eex` and `rel/overlays/bin/*` (phx.gen.release's
`server` and `migrate`). What matters to the checks is which variables they export and what they
`exec`, e.g. `PHX_SERVER=true exec ./my_app start`. This is a line reader, not a shell."""

from __future__ import annotations

import re
import shlex
from dataclasses import field

from flylint.findings import Location
from flylint.records import record
from flylint.sources import SourceFile

_ASSIGN = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_OPENERS = ("if", "case", "for", "while", "until")
_CLOSERS = ("fi", "esac", "done")


@record(frozen=True)
class ShellVar:
    name: str
    value: str | None  # unquoted text (EEx tags and $expansions kept); None for `export NAME`
    exported: bool
    conditional: bool  # set inside if/case/loops
    location: Location


@record(frozen=True)
class ShellExec:
    argv: tuple[str, ...]  # words after `exec`
    env: dict[str, str]  # NAME=value prefixes on the exec line
    conditional: bool
    location: Location

    @property
    def command(self) -> str:
        return " ".join(self.argv)


@record
class ShellScript:
    path: str
    vars: list[ShellVar] = field(default_factory=list)
    execs: list[ShellExec] = field(default_factory=list)

    def exported(self, name: str) -> ShellVar | None:
        """The last export of name, including `NAME=x` followed later by `export NAME`."""
        exported = {v.name for v in self.vars if v.exported}
        if name not in exported:
            return None
        with_value = [v for v in self.vars if v.name == name and v.value is not None]
        if with_value:
            return with_value[-1]
        return next(v for v in reversed(self.vars) if v.name == name)


def _logical_lines(source: SourceFile) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined and comments removed."""
    out: list[tuple[int, str]] = []
    buf = ""
    start = 0
    for number, raw in enumerate(source.lines, start=1):
        line = _strip_comment(raw)
        if not buf:
            start = number
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        out.append((start, buf))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def _strip_comment(line: str) -> str:
    """Drop a `#` comment that starts a word outside quotes (`${X##*-}` is not a comment)."""
    quote = ""
    prev = " "
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and (quote == "'" or prev != "\\"):
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t;":
            return line[:i].rstrip()
        prev = ch
    return line.rstrip()


# Without these (quotes, the escape, whitespace shlex does not split on), shlex.split(text) is
# text.split(); shlex is pure Python and most script lines need none of it.
_SHLEX_SPECIAL = frozenset("'\"\\\x0b\x0c\x1c\x1d\x1e\x1f")


def _words(text: str) -> list[str]:
    if text.isascii() and _SHLEX_SPECIAL.isdisjoint(text):
        return text.split()
    try:
        return shlex.split(text, posix=True)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        return text.split()


def parse_shell(source: SourceFile) -> ShellScript:
    """Exports, assignments and exec lines of a release shell script (never raises)."""
    script = ShellScript(source.path)
    depth = 0
    for number, text in _logical_lines(source):
        for part in re.split(r"\s*(?:;|&&|\|\|)\s*", text.strip()):
            if not part:
                continue
            words = _words(part)
            if not words:
                continue
            if depth > 0 and words[0].endswith(")") and "=" not in words[0]:
                words = words[1:]  # a case pattern such as `start)`
                if not words:
                    continue
            head = words[0]
            if head in _CLOSERS:
                depth = max(depth - 1, 0)
                continue
            if head in _OPENERS:
                depth += 1
                continue
            if head in ("then", "else", "elif", "do"):
                continue
            column = source.line(number).find(part[:20]) + 1 or 1
            loc = Location(source.path, number, column)
            if head == "export":
                for word in words[1:]:
                    m = _ASSIGN.match(word)
                    if m:
                        script.vars.append(
                            ShellVar(m.group("name"), m.group("value"), True, depth > 0, loc)
                        )
                    elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word):
                        script.vars.append(ShellVar(word, None, True, depth > 0, loc))
                continue
            env: dict[str, str] = {}
            i = 0
            while i < len(words) and _ASSIGN.match(words[i]):
                m = _ASSIGN.match(words[i])
                assert m is not None
                env[m.group("name")] = m.group("value")
                i += 1
            if i == len(words):  # plain assignments
                for name, value in env.items():
                    script.vars.append(ShellVar(name, value, False, depth > 0, loc))
                continue
            if words[i] == "exec":
                script.execs.append(ShellExec(tuple(words[i + 1 :]), env, depth > 0, loc))
    return script
