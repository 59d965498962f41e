"""The deployment model: a Project holds Apps; each App is one fly config with everything it deploys.
Checks read this model, never files."""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING, Any

from flylint.findings import Finding
from flylint.records import record
from flylint.sources import ProjectFS, SourceFile

if TYPE_CHECKING:
    from flylint.parsers.dockerfile import Dockerfile
    from flylint.parsers.flytoml import FlyConfig


@record
class App:
    """One fly config (fly.toml, fly.staging.toml, ...) and the sources it builds and deploys."""

    config_path: str  # project-relative path of the fly config
    fs: ProjectFS
    fly: FlyConfig | None = None  # None when the file could not be parsed at all
    context: str = "."  # build context directory, project-relative
    dockerfile_path: str | None = None  # where the Dockerfile is (or would be), project-relative
    dockerfile: Dockerfile | None = None  # None when absent or unreadable
    dockerignore_path: str | None = None  # where .dockerignore is expected
    dockerignore_exists: bool = False
    mix_root: str | None = None  # directory holding the app's mix.exs (umbrella root for umbrellas)
    workflow_paths: list[str] = field(default_factory=list)
    # Problems met while reading this app's inputs (FLY001 parse errors, FLY002-005 validation).
    input_findings: list[Finding] = field(default_factory=list)
    # Extension point for later models (Elixir config, workflows) keyed by name.
    extra: dict[str, Any] = field(default_factory=dict)

    def source(self, rel: str) -> SourceFile | None:
        """The decoded text of a project file, or None when missing or unreadable."""
        src, _ = self.fs.read(rel)
        return src


@record
class Project:
    """Everything one `flylint check` run looks at."""

    fs: ProjectFS
    apps: list[App] = field(default_factory=list)
    # Findings that belong to no app (e.g. a fly config that could not be read at all).
    findings: list[Finding] = field(default_factory=list)
    # Parsed shared files (a Dockerfile used by several fly configs is parsed once), by kind.
    parse_cache: dict[str, dict] = field(default_factory=dict)

    @property
    def root(self):
        return self.fs.root
