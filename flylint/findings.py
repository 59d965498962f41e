"""Findings and source locations: the one currency every check, suppression and reporter trades in."""

from __future__ import annotations

from dataclasses import field, replace

from flylint.records import record

SEVERITIES = ("error", "warning", "info")
# Lower rank = more severe; used for sorting and --fail-on thresholds.
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@record(frozen=True)
class Location:
    """A span in a project file. Lines and columns are 1-based; the end column is exclusive."""

    path: str  # project-relative, forward slashes
    line: int = 1
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    label: str = ""  # what this location is, for related locations ("force_ssl set here")

    def __post_init__(self) -> None:
        if self.end_line is None:
            object.__setattr__(self, "end_line", self.line)
        if self.end_column is None:
            object.__setattr__(self, "end_column", self.column)

    def with_label(self, label: str) -> Location:
        return replace(self, label=label)


@record(frozen=True)
class Finding:
    """One problem found by one rule.

    Checks fill in rule, message and location (and related/fix/key where they can); the engine
    fills in slug, severity and docs from the catalogue.
    """

    rule: str
    message: str
    location: Location
    related: tuple[Location, ...] = ()
    fix: str | None = None  # one-line hint specific to this finding; catalogue hint otherwise
    severity: str | None = None  # None: the rule's default severity
    key: str | None = None  # logical location (TOML key path, Dockerfile stage/instruction, ...)
    slug: str = ""
    docs: tuple[str, ...] = field(default=())

    @property
    def path(self) -> str:
        return self.location.path

    def sort_key(self) -> tuple:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule, self.message)
