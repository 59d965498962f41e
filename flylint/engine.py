"""Runs the checks over the model and turns their raw findings into the final, sorted list."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import replace

from flylint.catalogue import RuleMeta, load_index
from flylint.checks import FAMILY_MODULES, Check
from flylint.findings import SEVERITY_RANK, Finding
from flylint.model import Project
from flylint.records import record

# Where two rules describe the same value, only the more specific one reports (RULES.md,
# "One finding per problem"): a finding of the key rule hides findings of the listed rules at the
# same file. Rules that do not exist yet simply never match.
SUPERSEDES: dict[str, tuple[str, ...]] = {
    "FLY104": ("FLY105",),
    "FLY501": ("FLY502",),
    "FLY307": ("FLY304",),
    "FLY601": ("FLY606",),
    "FLY602": ("FLY606",),
    "FLY603": ("FLY606",),
    "FLY604": ("FLY606",),
    "FLY605": ("FLY606",),
    "FLY607": ("FLY606",),
}
# The rule pairs above are matched on the same line for secrets (one token, one line) and on the
# same file otherwise (FLY104/FLY105 both point at force_ssl in runtime.exs).
# FLY304 judges only explicit check ports; FLY307 hides it only where both point at one line.
SAME_LINE_ONLY = {"FLY606", "FLY304"}


class SelectionError(ValueError):
    """A --select/--ignore entry that names no rule."""


class CheckCrashed(RuntimeError):
    """A check raised: a bug in flylint, reported as an internal error (exit 2)."""

    def __init__(self, rule_id: str, config_path: str, error: BaseException) -> None:
        super().__init__(
            f"check {rule_id} failed on {config_path}: {type(error).__name__}: {error}"
        )
        self.error = error


def load_checks() -> dict[str, Check]:
    """Rule ID -> check function, from every family module."""
    checks: dict[str, Check] = {}
    for family in FAMILY_MODULES:
        module = importlib.import_module(f"flylint.checks.{family}")
        for value in vars(module).values():
            rule_id = getattr(value, "rule_id", None)
            if rule_id and callable(value):
                checks[rule_id] = value
    return checks


def resolve_selector(entry: str, index: dict[str, RuleMeta]) -> set[str]:
    """IDs matched by one selector: an ID, a slug, a prefix like FLY3, or ALL."""
    token = entry.strip()
    upper = token.upper()
    if upper == "ALL":
        return set(index)
    if upper in index:
        return {upper}
    by_slug = {m.id for m in index.values() if m.slug == token.lower()}
    if by_slug:
        return by_slug
    if upper.startswith("FLY") and upper[3:].isdigit():
        matched = {rid for rid in index if rid.startswith(upper)}
        if matched:
            return matched
    raise SelectionError(
        f"unknown rule selector {entry!r} (use an ID like FLY301, a slug, or a prefix like FLY3)"
    )


@record(frozen=True)
class Selection:
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()

    def rule_ids(self, index: dict[str, RuleMeta]) -> set[str]:
        chosen: set[str] = set()
        for entry in (*self.select, *self.extend_select):
            chosen |= resolve_selector(entry, index)
        for entry in self.ignore:
            chosen -= resolve_selector(entry, index)
        return chosen


def run_checks(project: Project, rule_ids: set[str], checks: dict[str, Check]) -> list[Finding]:
    raw: list[Finding] = list(project.findings)
    for app in project.apps:
        for rule_id, check in checks.items():
            if rule_id not in rule_ids:
                continue
            try:
                raw.extend(check(app))
            except Exception as err:  # a bug in a check must not masquerade as a clean result
                raise CheckCrashed(rule_id, app.config_path, err) from err
    return [f for f in raw if f.rule in rule_ids]


def finalize(findings: Iterable[Finding], index: dict[str, RuleMeta]) -> list[Finding]:
    """Fill in catalogue data, drop duplicates and superseded findings, and sort."""
    out: dict[tuple, Finding] = {}
    for f in findings:
        meta = index.get(f.rule)
        if meta is not None:
            f = replace(
                f,
                slug=meta.slug,
                severity=f.severity or meta.severity,
                docs=f.docs or pick_docs(meta.urls, f.key),
                fix=f.fix or meta.hint or None,
            )
        key = (f.rule, f.location.path, f.location.line, f.location.column)
        out.setdefault(key, f)
    from flylint.secrets.redact import mask_finding

    # No message may carry a secret, whichever rule quoted it (FLY313 quotes release_command), and
    # every message is one line, whatever source text a rule quoted (one-line formats rely on it).
    kept = [one_line(mask_finding(f)) for f in drop_superseded(list(out.values()))]
    return sorted(kept, key=Finding.sort_key)


def one_line(f: Finding) -> Finding:
    if "\n" not in f.message and "\r" not in f.message:
        return f
    return replace(f, message=" ".join(f.message.split()))


def pick_docs(urls: tuple[str, ...], key: str | None) -> tuple[str, ...]:
    """The doc links a finding shows when its check chose none: all of a rule's links when it has
    one or two; else the one whose anchor shares most words with the finding's key path (a
    `kill_timeout` finding of FLY003 gets `#kill_timeout-option`, not seven links), else the first.
    `flylint rule` always lists them all."""
    if len(urls) <= 2:
        return urls
    words = set(re.findall(r"[a-z0-9]+", (key or "").lower())) - {"0", "1", "2", "3"}
    best, best_score = urls[0], 0
    for url in urls:
        anchor = (
            set(re.findall(r"[a-z0-9]+", url.rsplit("#", 1)[-1].lower())) if "#" in url else set()
        )
        # Prefix matches count too (deploy ~ deploying), for words long enough to mean something.
        score = sum(
            1
            for w in words
            if any(
                w == t or (min(len(w), len(t)) >= 4 and (t.startswith(w) or w.startswith(t)))
                for t in anchor
            )
        )
        if score > best_score:
            best, best_score = url, score
    return (best,)


def drop_superseded(findings: list[Finding]) -> list[Finding]:
    present_file = {(f.rule, f.path) for f in findings}
    present_line = {(f.rule, f.path, f.location.line) for f in findings}
    kept = []
    for f in findings:
        hidden = False
        for winner, losers in SUPERSEDES.items():
            if f.rule not in losers:
                continue
            if f.rule in SAME_LINE_ONLY:
                hidden = (winner, f.path, f.location.line) in present_line
            else:
                hidden = (winner, f.path) in present_file
            if hidden:
                break
        if not hidden:
            kept.append(f)
    return kept


# Rules produced by a pass over all findings rather than by an App check.
PASS_RULES = frozenset({"FLY006"})


def lint(project: Project, selection: Selection, inline_ignores: bool = True) -> list[Finding]:
    index = load_index()
    rule_ids = selection.rule_ids(index)
    raw = run_checks(project, rule_ids, load_checks())
    if inline_ignores:
        from flylint.suppress import apply_suppressions

        raw, _used, unused = apply_suppressions(
            raw,
            lambda path: project.fs.read(path)[0],
            project.fs.read_paths(),  # markers in files without findings can be unused too
            active=rule_ids,  # codes of rules that did not run are never "unused"
            index=index,
            dockerfiles={a.dockerfile_path for a in project.apps if a.dockerfile_path},
        )
        if "FLY006" in rule_ids:
            raw.extend(unused)
    return finalize(raw, index)


def severity_at_least(severity: str, threshold: str) -> bool:
    """True when severity is at or above threshold (`never` is above everything)."""
    if threshold == "never":
        return False
    return SEVERITY_RANK.get(severity, 2) <= SEVERITY_RANK[threshold]
