"""Rule checks, one module per family. Each check is a pure function App -> Iterable[Finding],
marked with @rule("FLYnnn"); the engine joins it with the catalogue entry of the same ID."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flylint.findings import Finding
    from flylint.model import App
    from flylint.parsers.workflows import Workflow

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


def app_workflows(app: App) -> list[Workflow]:
    """`load_workflows(app)`, without importing the workflow parser (and its YAML library) for
    an app that has no workflows."""
    cached = app.extra.get("workflows")  # = parsers.workflows.EXTRA_KEY
    if isinstance(cached, list):
        return cached
    if not getattr(app, "workflow_paths", None):
        return []
    from flylint.parsers.workflows import load_workflows

    return load_workflows(app)
