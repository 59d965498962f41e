"""flylint: a static linter for Phoenix applications deployed on Fly.io."""

__version__ = "0.1.0"
