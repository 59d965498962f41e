"""Reading project files safely: never outside the project root, never through an escaping symlink,
never raising on bad bytes. A file that cannot be read becomes a FLY001 finding, not an exception."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from flylint.findings import Finding, Location

# Config files are small; anything larger is almost surely not what it claims to be, and reading it
# would cost the whole run. Reported as FLY001 instead.
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """Decoded text of one project file. Line endings are normalised to \\n and a BOM is dropped,
    so that line/column positions match what an editor shows."""

    path: str  # project-relative, forward slashes
    text: str
    lines: tuple[str, ...] = field(repr=False, default=())

    @staticmethod
    def from_text(path: str, text: str) -> SourceFile:
        return SourceFile(path, text, tuple(text.split("\n")))

    def line(self, number: int) -> str:
        """1-based line, or '' when out of range."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""


def decode(path: str, data: bytes) -> tuple[SourceFile | None, Finding | None]:
    """Decode bytes as UTF-8 text, or explain (as FLY001) why they are not text."""
    if b"\x00" in data:
        nul = data.index(b"\x00")
        line = data.count(b"\n", 0, nul) + 1
        return None, Finding(
            "FLY001",
            "file is binary (contains NUL bytes), not text; it was not read",
            Location(path, line, 1),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return None, Finding(
            "FLY001",
            f"invalid UTF-8 (byte 0x{data[err.start]:02x}); the file was not read",
            Location(path, line, col),
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile.from_text(path, text), None


class ProjectFS:
    """The project's files as seen from its root. Every read goes through here."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[str, tuple[SourceFile | None, Finding | None]] = {}

    def rel(self, path: Path) -> str:
        """Project-relative forward-slash path of an absolute or root-relative path."""
        p = path if path.is_absolute() else self.root / path
        try:
            return p.relative_to(self.root).as_posix() or "."
        except ValueError:
            return Path(os.path.relpath(p, self.root)).as_posix()

    def abs(self, rel: str) -> Path:
        return self.root / rel

    def inside(self, path: Path) -> bool:
        """True when path (symlinks resolved) stays inside the project root."""
        try:
            path.resolve().relative_to(self.root)
        except (ValueError, OSError, RuntimeError):
            return False
        return True

    def is_file(self, rel: str) -> bool:
        p = self.abs(rel)
        return self.inside(p) and p.is_file()

    def is_dir(self, rel: str) -> bool:
        p = self.abs(rel)
        return self.inside(p) and p.is_dir()

    def read(self, rel: str) -> tuple[SourceFile | None, Finding | None]:
        """Read and decode a project file once; (None, None) when it does not exist."""
        if rel in self._cache:
            return self._cache[rel]
        result = self._read_uncached(rel)
        self._cache[rel] = result
        return result

    @property
    def files_read(self) -> int:
        """How many existing files were read (decoded or not)."""
        return sum(
            1 for src, problem in self._cache.values() if src is not None or problem is not None
        )

    def read_paths(self) -> list[str]:
        return [path for path, (src, _) in self._cache.items() if src is not None]

    def _read_uncached(self, rel: str) -> tuple[SourceFile | None, Finding | None]:
        p = self.abs(rel)
        if not p.exists() and not p.is_symlink():
            return None, None
        if not self.inside(p):
            return None, Finding(
                "FLY001", "symlink points outside the project; not followed", Location(rel)
            )
        if p.is_dir():
            return None, Finding("FLY001", "expected a file but found a directory", Location(rel))
        try:
            size = p.stat().st_size
            if size > MAX_FILE_BYTES:
                return None, Finding(
                    "FLY001",
                    f"file is too large to be a config file ({size} bytes, limit {MAX_FILE_BYTES}); not read",
                    Location(rel),
                )
            data = p.read_bytes()
        except OSError as err:
            reason = err.strerror or type(err).__name__
            return None, Finding("FLY001", f"cannot read file: {reason}", Location(rel))
        return decode(rel, data)
