"""FLY0xx: problems met while reading the inputs. The parsers and the fly.toml validator already
produced these findings (discovery keeps them in `app.input_findings`); each check hands back the
ones of its rule."""

from __future__ import annotations

from collections.abc import Iterable

from flylint.checks import rule
from flylint.findings import Finding
from flylint.model import App


def _of_rule(app: App, rule_id: str) -> Iterable[Finding]:
    return [f for f in (app.input_findings or ()) if getattr(f, "rule", None) == rule_id]


@rule("FLY001")
def check_parse_error(app: App) -> Iterable[Finding]:
    return _of_rule(app, "FLY001")


@rule("FLY002")
def check_unknown_key(app: App) -> Iterable[Finding]:
    return _of_rule(app, "FLY002")


@rule("FLY003")
def check_invalid_value(app: App) -> Iterable[Finding]:
    return _of_rule(app, "FLY003")


@rule("FLY004")
def check_legacy_key(app: App) -> Iterable[Finding]:
    return _of_rule(app, "FLY004")


@rule("FLY005")
def check_unsplittable_command(app: App) -> Iterable[Finding]:
    return _of_rule(app, "FLY005")
