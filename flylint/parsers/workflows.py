"""GitHub Actions workflows (`.github/workflows/*.yml|yaml`): a small positional model.

The YAML is read with ruamel.yaml's round-trip loader (imported only when a workflow is parsed),
which keeps the line and column of every mapping key and value. The model holds what the secret
and CI rules read: the workflow's `env` and `concurrency`, and per job its `concurrency`, `env`,
`services` (with their line ranges: CI service containers are exempt from the secret rules),
`container`, and steps (`uses`, `run`, `env`, `with`), each value with its position.

`parse_workflow` never raises: a YAML error becomes one FLY001 finding at the error's position;
shapes GitHub would reject (a job that is not a mapping, say) are skipped quietly.
`load_workflows(app)` parses the app's workflows once and keeps them in `app.extra["workflows"]`.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import field
from typing import TYPE_CHECKING, Any

from flylint.findings import Finding, Location
from flylint.lazyre import lazy
from flylint.records import record
from flylint.sources import SourceFile

if TYPE_CHECKING:
    from flylint.model import App

EXTRA_KEY = "workflows"
# ruamel's pure-Python round-trip loader reads ~50-100 KB a second, and flow collections nested
# deeply cost more per byte (its scanner walks every open level for each token). Real workflows are
# a few KB and nest flow collections two or three levels; past these bounds a file is reported as
# FLY001 instead of holding up the run for a minute.
MAX_WORKFLOW_BYTES = 256 * 1024
MAX_FLOW_DEPTH = 32
_FLOW_BRACKET = lazy(r"[\[\]{}]")
# A workflow file is small; anything deeper than this is not a workflow we can reason about.
_MAX_ITEMS = 10_000


@record(frozen=True)
class Node:
    """A scalar value and where it is written (1-based; end column exclusive).

    `end_line` is the last line the value can span (block scalars, folded plain scalars): the
    lines up to the next key at the same or a lower indentation.
    """

    value: Any  # str, int, float, bool or None
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None = None  # "|", ">", '"', "'" or None (plain)

    @property
    def text(self) -> str:
        """The value as the runner sees it in an expression context (`true`, `3`, `''`)."""
        v = self.value
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    def location(self, label: str = "") -> Location:
        end_col = self.end_column if self.end_line == self.line else self.column + 1
        return Location(
            self.path, self.line, self.column, self.line, max(end_col, self.column + 1), label
        )

    def find(self, needle: str, source: SourceFile, label: str = "") -> Location | None:
        """Where `needle` is written inside this value in the source, or None."""
        if not needle:
            return None
        for number in range(self.line, self.end_line + 1):
            text = source.line(number)
            start = text.find(needle, self.column - 1 if number == self.line else 0)
            if start >= 0:
                end = start + len(needle)
                return Location(self.path, number, start + 1, number, end + 1, label)
        return None


@record(frozen=True)
class Entry:
    """One `name: value` of a mapping (`env`, `with`): the key's location and the scalar value.

    `value` is None when the value is a mapping or sequence (not used by the rules)."""

    name: str
    key: Location
    value: Node | None


@record
class Step:
    index: int
    location: Location  # the step's first key
    first_line: int
    last_line: int
    name: str | None = None
    id: str | None = None
    uses: Node | None = None
    run: Node | None = None
    env: dict[str, Entry] = field(default_factory=dict)
    env_expression: Node | None = None  # `env: ${{ fromJSON(...) }}`: contents unknown
    with_: dict[str, Entry] = field(default_factory=dict)


@record
class Service:
    """A `services:` container of a job (or a job's `container:`): CI-only credentials."""

    name: str
    location: Location
    first_line: int
    last_line: int
    image: Node | None = None
    env: dict[str, Entry] = field(default_factory=dict)


@record
class Job:
    key: str
    location: Location  # the job's key
    first_line: int
    last_line: int
    name: str | None = None
    concurrency: Location | None = None  # where `concurrency:` is set on the job
    env: dict[str, Entry] = field(default_factory=dict)
    env_expression: Node | None = None
    services: list[Service] = field(default_factory=list)
    container: Service | None = None
    steps: list[Step] = field(default_factory=list)
    uses: Node | None = None  # a reusable-workflow call (`jobs.x.uses`)
    with_: dict[str, Entry] = field(default_factory=dict)
    secrets: dict[str, Entry] = field(default_factory=dict)  # `secrets:` passed to `uses`


@record
class Workflow:
    path: str
    source: SourceFile
    parsed: bool = False  # False when the YAML could not be read (see the FLY001 finding)
    name: str | None = None
    env: dict[str, Entry] = field(default_factory=dict)
    env_expression: Node | None = None
    concurrency: Location | None = None  # workflow-level `concurrency:`
    jobs: list[Job] = field(default_factory=list)

    def service_lines(self) -> list[tuple[int, int]]:
        """(first, last) line ranges of every CI service container and job container."""
        out = []
        for job in self.jobs:
            for svc in [*job.services, *([job.container] if job.container else [])]:
                out.append((svc.first_line, svc.last_line))
        return out

    def in_service(self, line: int) -> bool:
        return any(a <= line <= b for a, b in self.service_lines())


# ------------------------------------------------------------------------------------------------
# Parsing


def parse_workflow(src: SourceFile) -> tuple[Workflow, list[Finding]]:
    """The positional model of one workflow file, and FLY001 findings for YAML errors."""
    wf = Workflow(src.path, src)
    too_costly = _too_costly(src)
    if too_costly is not None:
        return wf, [too_costly]
    try:
        data = _load_yaml(src.text)
    except Exception as err:  # every ruamel error, and anything odd inside it
        return wf, [_yaml_finding(src, err)]
    wf.parsed = True
    if data is None:
        return wf, []
    if not _is_map(data):
        return wf, [
            Finding(
                "FLY001",
                "workflow is not a YAML mapping (expected `on:` and `jobs:` at the top level)",
                Location(src.path, 1, 1),
            )
        ]
    # A shape we do not understand: keep what was read so far.
    with contextlib.suppress(
        RecursionError, AttributeError, TypeError, ValueError, KeyError, IndexError
    ):
        _Builder(src).workflow(wf, data)
    return wf, []


def load_workflows(app: App, cache: dict | None = None) -> list[Workflow]:
    """The app's workflows (`app.workflow_paths`), parsed once and kept in `app.extra`.

    FLY001 findings of the files are added to `app.input_findings` the first time, so discovery
    should call this (with `cache`, a per-project dict such as `Project.parse_cache["workflows"]`,
    so that apps sharing a repository parse each workflow once) for them to be reported with the
    other input problems. Checks call it without `cache` and get the memoized list."""
    cached = app.extra.get(EXTRA_KEY)
    if isinstance(cached, list):
        return cached
    shared: dict = cache if cache is not None else {}
    out: list[Workflow] = []
    for path in list(getattr(app, "workflow_paths", None) or []):
        if path not in shared:
            src, problem = app.fs.read(path)
            parsed = parse_workflow(src) if src is not None else (None, [])
            shared[path] = (parsed[0], [*([problem] if problem else []), *parsed[1]])
        wf, findings = shared[path]
        app.input_findings.extend(f for f in findings if f not in app.input_findings)
        if wf is not None:
            out.append(wf)
    app.extra[EXTRA_KEY] = out
    return out


def _too_costly(src: SourceFile) -> Finding | None:
    """FLY001 for a file too large or too deeply nested to hand to the YAML loader."""
    size = len(src.text.encode("utf-8"))
    if size > MAX_WORKFLOW_BYTES:
        return Finding(
            "FLY001",
            f"workflow file is too large to parse ({size} bytes, limit {MAX_WORKFLOW_BYTES}); "
            "not read",
            Location(src.path, 1, 1),
        )
    depth = 0
    for m in _FLOW_BRACKET.finditer(src.text):  # brackets in strings count too: a loose bound
        if m.group() in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                line = src.text.count("\n", 0, m.start()) + 1
                column = m.start() - (src.text.rfind("\n", 0, m.start()) + 1) + 1
                return Finding(
                    "FLY001",
                    f"flow collections nested more than {MAX_FLOW_DEPTH} levels deep; "
                    "the workflow was not read",
                    Location(src.path, line, column),
                )
        else:
            depth = max(depth - 1, 0)
    return None


def _load_yaml(text: str) -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return yaml.load(text)


def _yaml_finding(src: SourceFile, err: Exception) -> Finding:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = int(getattr(mark, "line", 0) or 0) + 1
    column = int(getattr(mark, "column", 0) or 0) + 1
    problem = str(getattr(err, "problem", "") or "").strip()
    # ruamel quotes the values of duplicate keys; only the key name is safe to print.
    dup = re.match(r'found duplicate key "([^"]{0,80})"', problem)
    if dup:
        problem = f'duplicate key "{dup.group(1)}"'
    elif not problem:
        problem = type(err).__name__
    problem = " ".join(problem.split())[:160]
    line = min(max(line, 1), max(len(src.lines), 1))
    return Finding("FLY001", f"invalid YAML: {problem}", Location(src.path, line, column))


def _is_map(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap

    return isinstance(value, CommentedMap)


def _is_seq(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedSeq

    return isinstance(value, CommentedSeq)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


class _Builder:
    def __init__(self, src: SourceFile) -> None:
        self.src = src
        self.path = src.path

    # -- positions -------------------------------------------------------------------------------

    def _block_end(self, line: int, indent: int) -> int:
        """Last line of a value that starts on `line` under a key indented by `indent` columns:
        following lines that are blank, comments, or indented deeper belong to it."""
        last = line
        number = line + 1
        total = len(self.src.lines)
        while number <= total:
            text = self.src.line(number)
            stripped = text.strip()
            if stripped and _indent(text) <= indent:
                break
            if stripped and not stripped.startswith("#"):
                last = number
            number += 1
        return last

    def key_location(self, mapping: Any, key: Any, label: str = "") -> Location:
        try:
            line, col = mapping.lc.key(key)
        except Exception:
            line, col = getattr(getattr(mapping, "lc", None), "line", 0) or 0, 0
        text = self.src.line(line + 1)
        name = str(key)
        end = col + len(name) if text[col : col + len(name)] == name else len(text.rstrip())
        return Location(self.path, line + 1, col + 1, line + 1, max(end, col + 1) + 1, label)

    def node(self, mapping: Any, key: Any) -> Node | None:
        """The scalar value of mapping[key] with its position, None for containers."""
        value = mapping.get(key)
        if _is_map(value) or _is_seq(value):
            return None
        try:
            vline, vcol = mapping.lc.value(key)
            _, kcol = mapping.lc.key(key)
        except Exception:
            return None
        return self._scalar(value, vline, vcol, kcol)

    def item_node(self, seq: Any, index: int, indent: int) -> Node | None:
        value = seq[index]
        if _is_map(value) or _is_seq(value):
            return None
        try:
            line, col = seq.lc.item(index)
        except Exception:
            return None
        return self._scalar(value, line, col, indent)

    def _scalar(self, value: Any, vline: int, vcol: int, key_indent: int) -> Node:
        line, col = vline + 1, vcol + 1
        text = self.src.line(line)
        style = _style(value, text[vcol : vcol + 1])
        end_line = self._block_end(line, key_indent)
        if style in ("|", ">"):
            end_col = len(text.rstrip()) + 1
        elif style in ('"', "'"):
            close = _closing_quote(text, vcol, style)
            if close is not None:
                end_line, end_col = line, close + 2
            else:
                end_col = len(text.rstrip()) + 1
        else:
            raw = str(value) if value is not None else ""
            if raw and "\n" not in raw and text[vcol : vcol + len(raw)] == raw:
                end_line, end_col = line, vcol + len(raw) + 1  # a one-line plain scalar
            else:
                end_col = len(_strip_comment(text).rstrip()) + 1
        plain = value
        if value is not None and not isinstance(value, (bool, int, float, str)):
            plain = str(value)
        return Node(plain, self.path, line, col, max(end_line, line), max(end_col, col + 1), style)

    def entries(self, mapping: Any) -> dict[str, Entry]:
        out: dict[str, Entry] = {}
        if not _is_map(mapping):
            return out
        for n, key in enumerate(mapping):
            if n > _MAX_ITEMS:
                break
            name = str(key)
            out[name] = Entry(name, self.key_location(mapping, key), self.node(mapping, key))
        return out

    def span(self, mapping: Any, key: Any) -> tuple[int, int]:
        """(first, last) line of mapping[key], the key's line included."""
        loc = self.key_location(mapping, key)
        return loc.line, self._block_end(loc.line, loc.column - 1)

    # -- structure -------------------------------------------------------------------------------

    def env_of(self, mapping: Any) -> tuple[dict[str, Entry], Node | None]:
        if "env" not in mapping:
            return {}, None
        value = mapping.get("env")
        if _is_map(value):
            return self.entries(value), None
        return {}, self.node(mapping, "env")

    def workflow(self, wf: Workflow, data: Any) -> None:
        name = data.get("name")
        wf.name = str(name) if isinstance(name, str) else None
        wf.env, wf.env_expression = self.env_of(data)
        if "concurrency" in data and data.get("concurrency") not in (None, ""):
            wf.concurrency = self.key_location(data, "concurrency")
        jobs = data.get("jobs")
        if not _is_map(jobs):
            return
        for n, key in enumerate(jobs):
            if n > _MAX_ITEMS:
                break
            body = jobs.get(key)
            if _is_map(body):
                wf.jobs.append(self.job(jobs, key, body))

    def job(self, jobs: Any, key: Any, body: Any) -> Job:
        first, last = self.span(jobs, key)
        job = Job(str(key), self.key_location(jobs, key), first, last)
        name = body.get("name")
        job.name = str(name) if isinstance(name, str) else None
        if "concurrency" in body and body.get("concurrency") not in (None, ""):
            job.concurrency = self.key_location(body, "concurrency")
        job.env, job.env_expression = self.env_of(body)
        services = body.get("services")
        if _is_map(services):
            for skey in services:
                job.services.append(self.service(services, skey))
        if "container" in body:
            job.container = self.service(body, "container")
        if "uses" in body:
            job.uses = self.node(body, "uses")
        job.with_ = self.entries(body.get("with"))
        job.secrets = self.entries(body.get("secrets"))
        steps = body.get("steps")
        if _is_seq(steps):
            for i, step in enumerate(steps):
                if i > _MAX_ITEMS:
                    break
                if _is_map(step):
                    job.steps.append(self.step(steps, i, step))
        return job

    def service(self, parent: Any, key: Any) -> Service:
        first, last = self.span(parent, key)
        svc = Service(str(key), self.key_location(parent, key), first, last)
        body = parent.get(key)
        if _is_map(body):
            if "image" in body:
                svc.image = self.node(body, "image")
            svc.env = self.entries(body.get("env"))
            cred = body.get("credentials")
            if _is_map(cred):
                svc.env.update({f"credentials.{k}": v for k, v in self.entries(cred).items()})
        else:  # `container: node:20` — an image name only
            svc.image = self.node(parent, key)
        return svc

    def step(self, steps: Any, index: int, body: Any) -> Step:
        try:
            line, col = steps.lc.item(index)
        except Exception:
            line, col = 0, 0
        first_key = next(iter(body), None)
        loc = (
            self.key_location(body, first_key)
            if first_key is not None
            else Location(self.path, line + 1, col + 1)
        )
        last = self._block_end(loc.line, max(loc.column - 3, 0))
        step = Step(index, loc, loc.line, max(last, loc.line))
        for attr in ("name", "id"):
            v = body.get(attr)
            setattr(step, attr, str(v) if isinstance(v, (str, int)) else None)
        if "uses" in body:
            step.uses = self.node(body, "uses")
        if "run" in body:
            step.run = self.node(body, "run")
        step.env, step.env_expression = self.env_of(body)
        step.with_ = self.entries(body.get("with"))
        return step


def _style(value: Any, first_char: str) -> str | None:
    cls = type(value).__name__
    if cls == "LiteralScalarString":
        return "|"
    if cls == "FoldedScalarString":
        return ">"
    if first_char in ('"', "'") and isinstance(value, str):
        return first_char
    if first_char in ("|", ">") and isinstance(value, str):
        return first_char
    return None


def _closing_quote(text: str, start: int, quote: str) -> int | None:
    """Index of the quote closing the string opened at text[start], on the same line."""
    i = start + 1
    while i < len(text):
        ch = text[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


def _strip_comment(text: str) -> str:
    m = re.search(r"\s#", text)
    return text[: m.start()] if m else text
