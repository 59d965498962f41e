"""Merging configuration exactly like Elixir's `Config`: per app, `Keyword.merge/3` with a deep
merge that recurses while both sides are keyword lists; any other value is replaced by the later
one (https://hexdocs.pm/elixir/Config.html#config/3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flylint.parsers.elixir.values import KeywordList, Value, is_keyword

Entries = tuple[tuple[str, Value], ...]
MAX_MERGE_DEPTH = 64


def keyword_merge(old: Entries, new: Entries, fun: Callable[[str, Value, Value], Value]) -> Entries:
    """Keyword.merge/3: old's entries whose keys new lacks keep their order, then new's entries in
    order, each merged with the first not-yet-used old entry of the same key."""
    new_keys = {k for k, _ in new}
    rest = [(k, v) for k, v in old if k not in new_keys]
    pending = list(old)  # entries of old still available for pairing, in order
    merged: list[tuple[str, Value]] = []
    for key, value2 in new:
        idx = next((i for i, (k, _) in enumerate(pending) if k == key), None)
        if idx is None:
            merged.append((key, value2))
        else:
            merged.append((key, fun(key, pending[idx][1], value2)))
            del pending[idx]
    return tuple(rest + merged)


def deep_merge(old: Value, new: Value, depth: int = 0) -> Value:
    """Config's deep merge of one key: keyword lists merge recursively, other values replace."""
    if depth > MAX_MERGE_DEPTH or not (is_keyword(old) and is_keyword(new)):
        return new
    old_entries = old.entries if isinstance(old, KeywordList) else ()
    new_entries = new.entries if isinstance(new, KeywordList) else ()
    entries = keyword_merge(old_entries, new_entries, lambda _k, a, b: deep_merge(a, b, depth + 1))
    base = (
        new
        if isinstance(new, KeywordList)
        else KeywordList(
            file=new.file,
            line=new.line,
            column=new.column,
            end_line=new.end_line,
            end_column=new.end_column,
            conditional=new.conditional,
        )
    )
    # The merged list exists whenever either side does unconditionally.
    cond = None if old.conditional is None or new.conditional is None else new.conditional
    return replace(base, entries=entries, conditional=cond)


def merge_app(apps: dict[str, KeywordList], app: str, config: KeywordList) -> None:
    """Apply one `config :app, ...` call (already shaped as app -> keyword list) to apps."""
    current = apps.pop(app, None)
    if current is None:
        apps[app] = config
        return
    entries = keyword_merge(current.entries, config.entries, lambda _k, a, b: deep_merge(a, b))
    cond = None if current.conditional is None or config.conditional is None else config.conditional
    apps[app] = replace(config, entries=entries, conditional=cond)


def merge_views(
    base: dict[str, KeywordList], top: dict[str, KeywordList]
) -> dict[str, KeywordList]:
    """base with every app of top merged over it (how runtime config lands on compile config)."""
    out = dict(base)
    for app, config in top.items():
        merge_app(out, app, config)
    return out
