"""Rule checks, one module per family. Each check is a pure function App -> Iterable[Finding],
marked with @rule("FLYnnn"); the engine joins it with the catalogue entry of the same ID."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flylint.findings import Finding
    from flylint.model import App

# Family modules under flylint.checks; the engine imports each once per run.
FAMILY_MODULES = (
    "inputs",
    "https",
    "headers",
    "health",
    "ports",
    "boot",
    "volumes",
    "image",
    "database",
    "secrets",
    "ci",
)

Check = Callable[["App"], "Iterable[Finding]"]


def rule(rule_id: str) -> Callable[[Check], Check]:
    """Mark a function as the check for rule_id."""

    def mark(fn: Check) -> Check:
        fn.rule_id = rule_id  # type: ignore[attr-defined]
        return fn

    return mark
