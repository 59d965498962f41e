"""Redaction of echoed source lines: code frames never show a secret value.

`make_redactor(findings)` returns the `ReportContext.redact` callable: given (path, line number,
line text) it returns the text with every secret on that line masked —

- the span of every finding of a rule that points at a secret value (FLY601–FLY607), including
  the middle and last lines of a multi-line span (a PEM block);
- any known credential format (`find_known_tokens`) and the password of any
  `scheme://user:password@host` URL, on any echoed line, whatever rule the frame is for;
- `NAME=value`, `--flag value`, `name: "value"` and `name = "value"` literals the detector calls
  secrets, so that a frame shown for another rule (or with the secret rules deselected) does not
  echo them either.

Spans become `mask(value)` (first ≤ 4 characters and the length); URL passwords become `****`.
`safe_text(text)` applies the same masking to any text (used for values quoted in messages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from flylint.findings import Finding
from flylint.secrets.detector import classify, find_known_tokens, url_password_spans
from flylint.secrets.mask import URL_PASSWORD_MASK, mask
from flylint.sources import SourceFile

# Rules whose primary location is the secret value itself.
SECRET_VALUE_RULES = frozenset(
    {"FLY601", "FLY602", "FLY603", "FLY604", "FLY605", "FLY606", "FLY607"}
)
# `name: "value"`, `name = 'value'`, `"name": "value"`, `name: value` (YAML, TOML, Elixir).
_KEY_VALUE_RE = re.compile(
    r"""(?<![\w-])["']?([A-Za-z_][\w.-]*)["']?\s*(?::|=>?)\s*"""
    r"""("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,#'"\]}]+)"""
)
_MAX_LINE = 20_000  # longer lines are masked whole rather than scanned

Redactor = Callable[[str, int, str], str]
# (start, end, replacement kind) in a line; end None = to the end of the line.
_Span = tuple[int, int, str]


def make_redactor(
    findings: Iterable[Finding],
    source: Callable[[str], SourceFile | None] | None = None,
) -> Redactor:
    """The code-frame redactor for a run's findings (see the module doc).

    `source`, when given, lets the redactor scan a whole file once for multi-line credentials
    (PEM blocks) so that their body lines are masked even when no finding covers them.
    """
    by_line: dict[tuple[str, int], list[tuple[int, int | None]]] = {}
    for f in findings:
        if f.rule not in SECRET_VALUE_RULES:
            continue
        loc = f.location
        end_line = loc.end_line if loc.end_line is not None else loc.line
        end_col = loc.end_column if loc.end_column is not None else loc.column
        if end_line < loc.line or end_line - loc.line > 200:
            end_line = loc.line
        for number in range(loc.line, end_line + 1):
            start = loc.column - 1 if number == loc.line else 0
            end: int | None = end_col - 1 if number == end_line else None
            if number == end_line and end is not None and end <= start:
                end = None  # a point location: mask the rest of the line
            by_line.setdefault((loc.path, number), []).append((max(start, 0), end))

    file_spans: dict[str, dict[int, list[tuple[int, int | None]]]] = {}

    def whole_file(path: str) -> dict[int, list[tuple[int, int | None]]]:
        if path in file_spans:
            return file_spans[path]
        found: dict[int, list[tuple[int, int | None]]] = {}
        src = source(path) if source is not None else None
        if src is not None:
            starts = _line_starts(src.text)
            for tok in find_known_tokens(src.text):
                first, first_col = _position(starts, tok.start)
                last, last_col = _position(starts, tok.end)
                if last == first:
                    continue  # one-line tokens are found again on the line itself
                for number in range(first, last + 1):
                    s = first_col if number == first else 0
                    e = last_col if number == last else None
                    found.setdefault(number, []).append((s, e))
        file_spans[path] = found
        return found

    def redact(path: str, line: int, text: str) -> str:
        if not isinstance(text, str) or not text:
            return text if isinstance(text, str) else ""
        spans: list[_Span] = []
        indent = len(text) - len(text.lstrip())
        for start, end in [*by_line.get((path, line), ()), *whole_file(path).get(line, ())]:
            # Whole-line parts of a multi-line secret keep their indentation readable.
            start = max(start, indent) if start == 0 else start
            spans.append((start, len(text.rstrip()) if end is None else end, "mask"))
        return _apply(text, spans + _line_spans(text))

    return redact


def mask_finding(finding: Finding) -> Finding:
    """The finding with secrets masked in its message, fix hint and location labels.

    A safety net for every rule's text: a message that quotes a config value (a release command,
    a URL) must not carry a token or a password along with it."""
    message = safe_text(finding.message)
    fix = safe_text(finding.fix) if finding.fix else finding.fix
    loc = finding.location
    labels_clean = loc.label == safe_text(loc.label) and all(
        r.label == safe_text(r.label) for r in finding.related
    )
    if message == finding.message and fix == finding.fix and labels_clean:
        return finding
    return replace(
        finding,
        message=message,
        fix=fix,
        location=replace(loc, label=safe_text(loc.label)),
        related=tuple(replace(r, label=safe_text(r.label)) for r in finding.related),
    )


def safe_text(text: str) -> str:
    """`text` with known tokens, URL passwords and detected literals masked."""
    if not isinstance(text, str):
        return ""
    return "\n".join(_apply(line, _line_spans(line)) for line in text.split("\n"))


def _line_spans(text: str) -> list[_Span]:
    if len(text) > _MAX_LINE:
        return [(0, len(text), "mask")]
    spans: list[_Span] = []
    for tok in find_known_tokens(text):
        spans.append((tok.start, tok.end, "mask"))
    for start, end in url_password_spans(text):
        spans.append((start, end, "url"))
    try:
        d = classify(None, text, "shell")
        pos = 0
        while d is not None and pos < len(text):
            spans.append((pos + d.start, pos + d.end, "mask"))
            pos += max(d.end, 1)
            d = classify(None, text[pos:], "shell")
        for m in _KEY_VALUE_RE.finditer(text) if ":" in text or "=" in text else ():
            d = classify(m.group(1), m.group(2), "generic")
            if d is not None:
                spans.append((m.start(2) + d.start, m.start(2) + d.end, "mask"))
    except Exception:  # the redactor must never break a report
        pass
    urls = [(s, e) for s, e, k in spans if k == "url"]
    # A password the pair scan also found is shown as a URL password (`****`).
    return [x for x in spans if x[2] == "url" or not any(a <= x[0] and x[1] <= b for a, b in urls)]


def _apply(text: str, spans: list[_Span]) -> str:
    """Replace the union of spans, right to left; a union made of one URL password is `****`."""
    clean = sorted((max(0, s), min(len(text), e), k) for s, e, k in spans if e > s)
    merged: list[list] = []
    for s, e, k in clean:
        if s >= len(text):
            continue
        if merged and s < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], e)
            if k != last[2]:
                last[2] = "mask"
        else:
            merged.append([s, e, k])
    for s, e, k in reversed(merged):
        replacement = URL_PASSWORD_MASK if k == "url" else mask(text[s:e])
        text = text[:s] + replacement + text[e:]
    return text


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    """(1-based line, 0-based column) of a text offset."""
    from bisect import bisect_right

    index = bisect_right(starts, offset) - 1
    return index + 1, offset - starts[index]
