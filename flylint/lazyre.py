"""Module-level regular expressions compiled on first use.

Compiling a pattern runs Python code in `re` (a fraction of a millisecond each, several for big
alternations); a pattern that a run never needs, e.g. one per credential format that only runs
after a cheap prefix scan matched, should not cost that on every start.

`lazy(pattern, flags)` returns a stand-in with the methods of the compiled pattern (`search`,
`match`, `finditer`, `sub`, ...) and its attributes (`pattern`, `flags`, `groups`). It is not a
`re.Pattern`: call its methods (`PATTERN.sub(...)`), never `re.sub(PATTERN, ...)`, and pass
`.compiled` where a real pattern object is needed.
"""

from __future__ import annotations

import re

_FORWARDED = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "scanner",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class LazyPattern:
    """`re.compile(pattern, flags)`, done the first time any attribute is read."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._source = (pattern, flags)

    @property
    def compiled(self) -> re.Pattern[str]:
        """The real `re.Pattern`, for APIs that need one."""
        return self.__dict__.get("_compiled") or self._load()

    def _load(self) -> re.Pattern[str]:
        compiled = re.compile(*self._source)
        # Later reads of these find them in the instance dict: a dict lookup, no proxying.
        self.__dict__.update({attr: getattr(compiled, attr) for attr in _FORWARDED})
        self.__dict__["_compiled"] = compiled
        return compiled

    def __getattr__(self, name: str):
        # Only reached for names not (yet) in the instance dict.
        if name.startswith("__") or name == "_source":
            raise AttributeError(name)
        return getattr(self._load(), name)

    def __repr__(self) -> str:
        return f"lazy({self._source[0]!r})"


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
