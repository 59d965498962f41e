"""Turning exceptions into the one-line messages users see (exit 2)."""

from __future__ import annotations


def describe(err: BaseException) -> str:
    from flylint.catalogue import CatalogueError
    from flylint.config import ConfigError
    from flylint.discover import DiscoveryError
    from flylint.engine import CheckCrashed, SelectionError
    from flylint.run import ReportWriteError

    if isinstance(
        err, (DiscoveryError, SelectionError, CatalogueError, ReportWriteError, ConfigError)
    ):
        return str(err)
    if isinstance(err, CheckCrashed):
        return f"internal error: {err} (please report it; rerun with --debug for details)"
    return f"internal error: {type(err).__name__}: {err} (rerun with --debug for details)"
