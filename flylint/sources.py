"""Reading project files safely: never outside the project root, never through an escaping symlink,
never raising on bad bytes. A file that cannot be read becomes a FLY001 finding, not an exception."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import field
from pathlib import Path

from flylint.findings import Finding, Location
from flylint.records import record

# Config files are small; anything larger is almost surely not what it claims to be, and reading it
# would cost the whole run. Reported as FLY001 instead.
MAX_FILE_BYTES = 4 * 1024 * 1024

# A directory's entries: (directories, other entries, symlinks among both); see ProjectFS.listdir.
Listing = tuple[list[str], list[str], frozenset[str]]


@record(frozen=True)
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
        root_s = str(self.root)
        self._root_prefix = root_s if root_s.endswith(os.sep) else root_s + os.sep
        # Directory -> True when no component of it is a symlink (its real path is itself).
        self._plain_dirs: dict[str, bool] = {}
        self._listings: dict[str, Listing | None] = {}

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
        real = self._resolve(path)
        return real is not None and self._contains(real)

    def _contains(self, real: str) -> bool:
        return real == str(self.root) or real.startswith(self._root_prefix)

    def _resolve(self, path: Path) -> str | None:
        """`str(path.resolve())`, or None where resolve() raises (a symlink loop, an OS error).

        Resolving walks every component of the path with lstat; checks ask about many files in
        few directories, so a directory without symlinks is recognised once and a file in it
        costs one lstat. Anything else (a symlink, `..`) takes the full resolve()."""
        full = os.fspath(path)
        if os.path.isabs(full) and os.path.normpath(full) == full:  # no `..` to resolve
            head, name = os.path.split(full)
            plain = self._plain_dirs.get(head)
            if plain is None:
                try:  # strict: a loop raises rather than coming back unchanged
                    plain = os.path.realpath(head, strict=True) == head
                except OSError:
                    plain = False
                self._plain_dirs[head] = plain
            if plain and name and not os.path.islink(full):
                return full
        try:
            return str(path.resolve())
        except (OSError, RuntimeError):
            return None

    def listdir(self, rel: str) -> Listing | None:
        """The entries of a project directory as `os.walk` reports them: (directories, other
        entries, the symlinks among both), in directory order, symlinks to directories counted
        as directories; None when it cannot be listed. Each directory is listed once per run
        (globs over `lib/**` run for several rules). The caller checks that rel is inside."""
        if rel in self._listings:
            return self._listings[rel]
        dirs: list[str] = []
        others: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(self.abs(rel)) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else others).append(entry.name)
                    try:
                        if entry.is_symlink():
                            links.add(entry.name)
                    except OSError:
                        pass
            listing: Listing | None = (dirs, others, frozenset(links))
        except OSError:  # os.walk skips a directory it cannot list (or finish listing)
            listing = None
        self._listings[rel] = listing
        return listing

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
        checked = self._check_path(p)
        if checked is None:
            return None, None
        if isinstance(checked, str):
            return None, Finding("FLY001", checked, Location(rel))
        try:
            data = _read_regular(checked)
        except _NotReadable as why:
            return None, Finding("FLY001", str(why), Location(rel))
        except OSError as err:
            reason = err.strerror or type(err).__name__
            return None, Finding("FLY001", f"cannot read file: {reason}", Location(rel))
        return decode(rel, data)

    def _check_path(self, p: Path) -> Path | str | None:
        """The resolved path (inside the root) to read; a FLY001 message when the path must not
        be read; None when nothing is there at all."""
        try:
            p.stat()
        except OSError as err:
            if err.errno == errno.ELOOP:
                return "symlink loop; not followed"
            if not p.is_symlink():
                return None  # missing (a dangling symlink is reported below)
        real = self._resolve(p)
        if real is None or not self._contains(real):
            return "symlink points outside the project; not followed"
        if not p.exists():
            return "broken symlink: its target does not exist"
        return Path(real)


class _NotReadable(Exception):
    """A path that exists inside the project but is not a regular file of a sane size."""


def _read_regular(path: Path) -> bytes:
    """Bytes of a regular file. FIFOs, sockets and devices are refused before they are opened
    (reading a FIFO would block forever), and re-checked on the open descriptor (O_NONBLOCK) in
    case the path changed in between; never more than MAX_FILE_BYTES are read."""
    _check_mode(os.stat(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        _check_mode(os.fstat(fd))
        chunks = []
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise _NotReadable(_too_large(len(data)))
    return data


def _check_mode(st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise _NotReadable("expected a file but found a directory")
    if not stat.S_ISREG(st.st_mode):
        raise _NotReadable(f"not a regular file ({_kind(st.st_mode)}); not read")
    if st.st_size > MAX_FILE_BYTES:
        raise _NotReadable(_too_large(st.st_size))


def _too_large(size: int) -> str:
    return f"file is too large to be a config file ({size} bytes, limit {MAX_FILE_BYTES}); not read"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
