"""FLY8xx: CI/CD workflows that deploy to Fly (GitHub Actions, `.github/workflows/*.yml`).

A step "runs flyctl deploy" when its `run:` script calls `flyctl deploy` / `fly deploy` (flags
may sit between the command and `deploy`), or when it uses the root `superfly/flyctl-actions`
action with `args: deploy …`. Workflows come from `flylint.parsers.workflows.load_workflows`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flylint.checks import app_workflows, rule
from flylint.findings import Finding
from flylint.model import App
from flylint.secrets.detector import classify

if TYPE_CHECKING:
    from flylint.parsers.workflows import Entry, Job, Node, Step, Workflow

TOKEN_NAMES = ("FLY_API_TOKEN", "FLY_ACCESS_TOKEN")
# Refs that name a branch (they move with every push); tags and SHAs are fine.
BRANCH_REFS = frozenset({"master", "main", "trunk", "develop", "development", "dev", "head"})
_SHA_RE = re.compile(r"[0-9a-fA-F]{40}")
_SECRETS_EXPR_RE = re.compile(r"\$\{\{[^}]*\bsecrets\s*(?:\.|\[)[^}]*\}\}")
_OTHER_EXPR_RE = re.compile(r"\$\{\{[^}]*\b(?:env|inputs|needs|steps|matrix|github)\s*[.\[]")
_FLYCTL_WORDS = frozenset({"flyctl", "fly"})
_COMMAND_STARTS = frozenset(
    {";", "&&", "||", "|", "(", "`", "then", "do", "else", "exec", "time", "sudo", "command"}
)


# -- what a step does ----------------------------------------------------------------------------


def _words(script: str) -> list[str]:
    """Shell-ish words of a script, with command separators (and line ends, as `;`) as words.
    `${{ … }}` expressions are replaced by a plain word first: the runner substitutes them."""
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script, flags=re.S)
    words: list[str] = []
    for line in script.split("\n"):
        spaced = re.sub(r"(&&|\|\||[;|&()`])", r" \1 ", line)
        try:
            words.extend(shlex.split(spaced, comments=True, posix=True))
        except ValueError:
            words.extend(spaced.split())
        words.append(";")
    return words


def runs_flyctl_deploy(script: str) -> bool:
    """True when the script calls `flyctl deploy` or `fly deploy` (global flags allowed)."""
    words = _words(script or "")
    for i, word in enumerate(words):
        base = word.rsplit("/", 1)[-1]
        if base not in _FLYCTL_WORDS:
            continue
        # `fly` as an argument (`echo fly deploy`) is not a command; after `;`, `&&`, an env
        # prefix (`FLY_API_TOKEN=… fly deploy`) or `exec`/`sudo` it is.
        prev = words[i - 1] if i > 0 else ";"
        if prev not in _COMMAND_STARTS and "=" not in prev:
            continue
        for nxt in words[i + 1 : i + 8]:
            if nxt.startswith("-"):
                continue
            return nxt == "deploy"
    return False


def _action(uses: Node | None) -> tuple[str, str | None] | None:
    """(`owner/repo[/path]`, ref or None) of a `uses:` that names a GitHub action."""
    if uses is None or not isinstance(uses.value, str):
        return None
    text = uses.value.strip()
    if not text or text.startswith(("./", "docker://")):
        return None
    name, _, ref = text.partition("@")
    return name, (ref or None)


def step_deploys(step: Step) -> bool:
    if step.run is not None and runs_flyctl_deploy(step.run.text):
        return True
    action = _action(step.uses)
    if action is not None and action[0].lower() == "superfly/flyctl-actions":
        args = step.with_.get("args")
        text = args.value.text if args is not None and args.value is not None else ""
        return runs_flyctl_deploy("flyctl " + text)
    return False


def _step_node(step: Step) -> Node | None:
    return step.run if step.run is not None else step.uses


def _step_location(wf: Workflow, step: Step):
    node = _step_node(step)
    return node.location() if node is not None else step.location


def _step_key(wf: Workflow, job: Job, step: Step, what: str) -> str:
    return f"{wf.path}:jobs.{job.key}.steps[{step.index}].{what}"


# -- FLY801 --------------------------------------------------------------------------------------


def _moving_ref(ref: str | None) -> str | None:
    """Why the ref moves ('no ref', 'the branch master'), or None for a tag or SHA."""
    if ref is None:
        return "no ref"
    r = ref.strip()
    if _SHA_RE.fullmatch(r):
        return None
    if r.lower() in BRANCH_REFS or r.startswith("refs/heads/") or "/" in r:
        return f"the branch {r}"
    return None


@rule("FLY801")
def check_flyctl_action_unpinned(app: App) -> Iterable[Finding]:
    out: list[Finding] = []
    for wf in app_workflows(app):
        for job in wf.jobs:
            uses_nodes: list[tuple[Node, str]] = []
            if job.uses is not None:
                uses_nodes.append((job.uses, f"{wf.path}:jobs.{job.key}.uses"))
            for step in job.steps:
                if step.uses is not None:
                    uses_nodes.append((step.uses, _step_key(wf, job, step, "uses")))
            for node, key in uses_nodes:
                action = _action(node)
                if action is None or not action[0].lower().startswith("superfly/"):
                    continue
                why = _moving_ref(action[1])
                if why is None:
                    continue
                out.append(
                    Finding(
                        "FLY801",
                        f"`{node.text}` follows {why}: every push to it changes what your "
                        "deploy runs",
                        node.location(),
                        fix=f"pin a release tag or a commit SHA: `{action[0]}@v1`",
                        key=key,
                    )
                )
    return out


# -- FLY802 --------------------------------------------------------------------------------------


@rule("FLY802")
def check_deploy_without_concurrency(app: App) -> Iterable[Finding]:
    out: list[Finding] = []
    for wf in app_workflows(app):
        if wf.concurrency is not None:
            continue  # one run of the whole workflow at a time
        for job in wf.jobs:
            deploys = [s for s in job.steps if step_deploys(s)]
            if not deploys or job.concurrency is not None:
                continue
            related = tuple(
                _step_location(wf, s).with_label("runs flyctl deploy") for s in deploys[:3]
            )
            out.append(
                Finding(
                    "FLY802",
                    f"job {job.key} runs flyctl deploy without a `concurrency` group: two pushes "
                    "in a row deploy at the same time",
                    job.location,
                    related=related,
                    fix=f"add `concurrency: deploy-group` to job {job.key}",
                    key=f"{wf.path}:jobs.{job.key}.concurrency",
                )
            )
    return out


# -- FLY803 --------------------------------------------------------------------------------------


def _token_status(entries: dict[str, Entry]) -> str | None:
    """'ok' (from secrets), 'unknown' (another expression, or a literal FLY604 reports),
    'bad' (set from something else), or None (not set here)."""
    status = None
    for name in TOKEN_NAMES:
        entry = entries.get(name)
        if entry is None:
            continue
        text = entry.value.text if entry.value is not None else ""
        if _SECRETS_EXPR_RE.search(text):
            return "ok"
        if _OTHER_EXPR_RE.search(text) or classify(name, text, "workflow") is not None:
            status = "unknown"
        elif status is None:
            status = "bad"
    return status


def _script_passes_token(script: str) -> bool:
    """`FLY_API_TOKEN=${{ secrets.X }} flyctl deploy`, `--access-token ${{ secrets.X }}`, or a
    token written to $GITHUB_ENV."""
    if not script:
        return False
    pattern = (
        r"(?:FLY_API_TOKEN|FLY_ACCESS_TOKEN)\s*=\s*[\"']?\$\{\{[^}]*secrets"
        r"|(?:--access-token|-t)[= ]+[\"']?\$\{\{[^}]*secrets"
    )
    return re.search(pattern, script) is not None


def _similar_names(*envs: dict[str, Entry]) -> list[str]:
    """Env names fed from secrets that look like a misspelt Fly token (`FLY_TOKEN`)."""
    out = []
    for env in envs:
        for name, entry in env.items():
            text = entry.value.text if entry.value is not None else ""
            if "FLY" in name.upper() and _SECRETS_EXPR_RE.search(text) and name not in out:
                out.append(name)
    return out


@rule("FLY803")
def check_deploy_token_env_name(app: App) -> Iterable[Finding]:
    out: list[Finding] = []
    for wf in app_workflows(app):
        for job in wf.jobs:
            writes_env = any(
                s.run is not None
                and "GITHUB_ENV" in s.run.text
                and any(n in s.run.text for n in TOKEN_NAMES)
                for s in job.steps
            )
            for step in job.steps:
                if not step_deploys(step):
                    continue
                if writes_env or (step.run is not None and _script_passes_token(step.run.text)):
                    continue
                if any(x is not None for x in (step.env_expression, job.env_expression)):
                    continue
                if wf.env_expression is not None:
                    continue
                statuses = [_token_status(e) for e in (step.env, job.env, wf.env)]
                first = next((s for s in statuses if s is not None), None)
                if first in ("ok", "unknown"):
                    continue
                similar = _similar_names(step.env, job.env, wf.env)
                if first == "bad":
                    seen = "sets FLY_API_TOKEN from something other than `secrets`"
                elif similar:
                    seen = f"gets {', '.join(similar)} from secrets, not FLY_API_TOKEN"
                else:
                    seen = "gets no FLY_API_TOKEN in its step, job or workflow env"
                out.append(
                    Finding(
                        "FLY803",
                        f"the flyctl deploy step of job {job.key} {seen}: flyctl cannot "
                        "authenticate and the deploy fails",
                        _step_location(wf, step),
                        fix="add `env: FLY_API_TOKEN: ${{ secrets.FLY_API_TOKEN }}` to the step",
                        key=_step_key(wf, job, step, "env"),
                    )
                )
    return out
