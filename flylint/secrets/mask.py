"""Masking of secret values for every output: messages, code frames, JSON, SARIF, fingerprints.

A masked value shows at most its first 4 characters and its length. Short values show fewer
(2 characters from 12 to 15, none below 12), so no secret of 8 characters or fewer is revealed
at all and no value ever has more than a third of itself shown. URLs keep everything but the
password, which becomes `****`.
"""

from __future__ import annotations

from flylint.secrets.detector import url_password_spans

ELLIPSIS = "…"
URL_PASSWORD_MASK = "****"


def shown_prefix_len(length: int) -> int:
    """How many leading characters `mask` shows for a value of `length` characters."""
    if length >= 16:
        return 4
    if length >= 12:
        return 2
    return 0


def mask(value: str) -> str:
    """`fo1_…(len 47)`: the first ≤ 4 characters, an ellipsis and the length."""
    if not isinstance(value, str):
        return f"{ELLIPSIS}(masked)"
    return f"{value[: shown_prefix_len(len(value))]}{ELLIPSIS}(len {len(value)})"


def mask_url_password(url: str) -> str:
    """Replace the password of every `scheme://user:password@host` in `url` with `****`.

    Scheme, user, host, path and query stay readable. Text without credentials is unchanged.
    """
    if not isinstance(url, str):
        return ""
    out, pos = [], 0
    for start, end in url_password_spans(url):
        if start < pos:
            continue
        out.append(url[pos:start])
        out.append(URL_PASSWORD_MASK)
        pos = end
    out.append(url[pos:])
    return "".join(out)


def mask_in_line(line: str, start: int, end: int) -> str:
    """`line` with `line[start:end]` replaced by its mask, for echoing source lines in code frames.

    Offsets are clamped to the line; an empty or inverted span masks nothing.
    """
    if not isinstance(line, str):
        return ""
    start = max(0, min(start, len(line)))
    end = max(start, min(end, len(line)))
    if start == end:
        return line
    return line[:start] + mask(line[start:end]) + line[end:]
