"""SARIF 2.1.0 for GitHub code scanning (one run, every catalogue rule, results with full regions).

What GitHub needs beyond the schema (knowledge/outputs.md §1): a relative `uri` that stands on its
own (percent-encoded; `upload-sarif` decodes it), `results: []` on a clean run so fixed alerts
close, absolute `helpUri`s, string `security-severity` scores, no `primaryLocationLineHash` (the
upload action computes it from the checked-out file) but our own stable fingerprint.

Security rules and their `security-severity` (GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9
medium, < 4.0 low), by the rule's default severity:

    families https (FLY1xx), headers (FLY2xx), database (FLY5xx), and FLY318 dev settings in
    prod, FLY701 runs as root:                    error 7.5, warning 5.0, info 2.0
    secrets (FLY6xx) and FLY703 (secret files copied into the image):
                                                  error 9.1, warning 7.0, info 3.0

Everything else (inputs, health/boot, volumes, the rest of the image family, CI) is about
availability and correctness: no score, no `security` tag.

The full YAML of a rule (rationale, fix) is parsed only for rules that have results; the other
rules get their descriptions and help from the compiled index, so a clean run parses no YAML.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

import flylint
from flylint.catalogue import RuleMeta
from flylint.findings import Finding, Location
from flylint.report import ReportContext

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/flylint/"
FINGERPRINT_KEY = "flylintFingerprint/v1"
AUTOMATION_ID = "flylint/"
MAX_RESULTS = 25_000  # GitHub rejects runs with more
MAX_TEXT = 1024  # GitHub's limit for descriptions and help text

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
FAMILY_BY_PREFIX = {
    "FLY0": "inputs",
    "FLY1": "https",
    "FLY2": "headers",
    "FLY3": "health",
    "FLY4": "volumes",
    "FLY5": "database",
    "FLY6": "secrets",
    "FLY7": "image",
    "FLY8": "ci",
}
SECURITY_FAMILIES = {"https", "headers", "database", "secrets"}
SECURITY_RULES = {"FLY318", "FLY701", "FLY703"}
SECRET_LIKE_RULES = {"FLY703"}
SCORES = {"error": "7.5", "warning": "5.0", "info": "2.0"}
SECRET_SCORES = {"error": "9.1", "warning": "7.0", "info": "3.0"}

EntryLoader = Callable[[str], "dict | None"]


def family_of(rule_id: str) -> str:
    """The rule's family from its ID range (RULES.md fixes one range per family)."""
    return FAMILY_BY_PREFIX.get(rule_id[:4], "other")


def security_severity(rule_id: str, severity: str) -> str | None:
    """GitHub's security-severity score for a rule at a severity, or None for non-security rules."""
    family = family_of(rule_id)
    if family not in SECURITY_FAMILIES and rule_id not in SECURITY_RULES:
        return None
    table = SECRET_SCORES if family == "secrets" or rule_id in SECRET_LIKE_RULES else SCORES
    return table.get(severity, table["info"])


def fingerprint(f: Finding) -> str:
    """A stable key for one finding: rule + path + logical location, never a line number.

    The logical location is the finding's `key` (TOML key path, Dockerfile stage/instruction,
    Elixir config path); without one, the whitespace-normalised message stands in, except for
    secret rules, whose messages carry a masked value: those fall back to rule + path alone.
    """
    if f.key:
        anchor = f"key:{f.key}"
    elif family_of(f.rule) == "secrets" or f.rule in SECRET_LIKE_RULES:
        anchor = "file"
    else:
        anchor = "message:" + " ".join(f.message.split())
    text = "\0".join(("flylint-v1", f.rule, f.location.path, anchor))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def repo_path(path: str, ctx: ReportContext) -> str:
    """A finding path relative to the repository root: forward slashes, no `./`, no leading `/`.

    `ctx.path_prefix` (the project root relative to the repository root) is honoured when the
    caller provides it; paths are project-relative otherwise."""
    prefix = str(getattr(ctx, "path_prefix", "") or "").strip("/")
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    return f"{prefix}/{path}" if prefix and path not in ("", ".") else (path or prefix or ".")


def clip(text: str, limit: int = MAX_TEXT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(markdown: str) -> str:
    """Markdown as readable plain text (for `text` fields): hard-wrapped paragraphs joined, no
    backticks, no fence lines; list items keep their own lines."""
    paragraphs = []
    for para in markdown.strip().split("\n\n"):
        lines = [ln.strip() for ln in para.splitlines() if not ln.strip().startswith("```")]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        is_list = all(ln[:2] in ("- ", "* ") or ln[:1].isdigit() for ln in lines)
        paragraphs.append(("\n" if is_list else " ").join(lines))
    return "\n\n".join(paragraphs).replace("`", "")


def safe_entry(rule_id: str) -> dict | None:
    """The rule's full YAML entry, or None when it cannot be had: the help text then comes from
    the compiled index. A broken catalogue file is caught by the catalogue's own tests; it must
    not turn a lint run into an internal error."""
    from flylint.catalogue import full_entry

    try:
        entry = full_entry(rule_id)
    except Exception:  # CatalogueError, OSError, ruamel's YAMLError (not a ValueError), ...
        return None
    return entry if isinstance(entry, dict) else None


def rule_descriptor(
    rule_id: str, meta: RuleMeta | None, entry: dict | None, sample: Finding | None
) -> dict:
    """One `reportingDescriptor`: from the catalogue, enriched by the YAML entry when given."""
    if meta is None:  # a finding of a rule the index does not know: describe it from the finding
        severity = (sample.severity if sample else None) or "warning"
        slug = (sample.slug if sample else "") or rule_id.lower()
        docs = tuple(("docs", url) for url in (sample.docs if sample else ()))
        title = summary = slug.replace("-", " ")
        hint = (sample.fix if sample else None) or ""
        family = family_of(rule_id)
    else:
        severity, slug, docs = meta.severity, meta.slug, meta.docs
        title, summary, hint = meta.title, meta.summary or meta.title, meta.hint
        family = meta.family or family_of(rule_id)
    rationale = str((entry or {}).get("rationale") or "").strip()
    fix = str((entry or {}).get("fix") or "").strip()
    links = [(t, u) for t, u in docs if u.startswith(("https://", "http://"))]

    full_text = plain(rationale) if rationale else summary
    help_text_parts = [summary]
    if hint:
        help_text_parts.append(f"Fix: {hint}")
    help_text_parts.extend(f"{t}: {u}" for t, u in links)
    md = [f"**{title}**", "", rationale or summary, ""]
    md += ["**How to fix**", "", fix or hint] if (fix or hint) else []
    if links:
        md += ["", "**References**", ""] + [f"- [{t}]({u})" for t, u in links]

    descriptor: dict = {
        "id": rule_id,
        "name": slug,
        "shortDescription": {"text": clip(title)},
        "fullDescription": {"text": clip(full_text)},
        "help": {"text": clip("\n\n".join(help_text_parts)), "markdown": "\n".join(md).strip()},
    }
    if links:
        descriptor["helpUri"] = links[0][1]
    descriptor["defaultConfiguration"] = {"level": LEVELS.get(severity, "warning")}
    score = security_severity(rule_id, severity)
    props: dict = {"tags": [family, "security"] if score else [family]}
    props["problem.severity"] = PROBLEM_SEVERITY.get(severity, "warning")
    if score:
        props["security-severity"] = score
    descriptor["properties"] = props
    return descriptor


def region(loc: Location) -> dict:
    """A SARIF region: 1-based, end column exclusive; a zero-width span covers the whole line."""
    start_line = max(1, loc.line)
    start_col = max(1, loc.column)
    end_line = max(start_line, loc.end_line or start_line)
    out = {"startLine": start_line, "startColumn": start_col, "endLine": end_line}
    end_col = loc.end_column or 0
    if end_line > start_line or end_col > start_col:
        out["endColumn"] = max(1, end_col)
    return out


def physical(loc: Location, ctx: ReportContext) -> dict:
    return {
        "physicalLocation": {
            "artifactLocation": {
                "uri": quote(repo_path(loc.path, ctx), safe="/"),
                "uriBaseId": "%SRCROOT%",
            },
            "region": region(loc),
        }
    }


def result_object(f: Finding, index: int, ctx: ReportContext) -> dict:
    out: dict = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": LEVELS.get(f.severity or "info", "note"),
        "message": {"text": f.message.strip() or f.rule},
        "locations": [physical(f.location, ctx)],
    }
    if f.related:
        out["relatedLocations"] = [
            {"id": n, **physical(rel, ctx), "message": {"text": rel.label or "related location"}}
            for n, rel in enumerate(f.related, start=1)
        ]
    out["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint(f)}
    return out


def sarif_log(
    findings: Iterable[Finding],
    ctx: ReportContext,
    index: Mapping[str, RuleMeta],
    entry: EntryLoader = safe_entry,
    version: str = flylint.__version__,
) -> dict:
    """The SARIF log as a dict: every rule of `index` (plus any unknown rule that has a result)."""
    findings = list(findings)
    samples: dict[str, Finding] = {}
    for f in findings:
        samples.setdefault(f.rule, f)
    rule_ids = sorted(set(index) | set(samples))
    rules = [
        rule_descriptor(
            rid, index.get(rid), entry(rid) if rid in samples else None, samples.get(rid)
        )
        for rid in rule_ids
    ]
    position = {rid: n for n, rid in enumerate(rule_ids)}
    results = [result_object(f, position[f.rule], ctx) for f in findings[:MAX_RESULTS]]
    run: dict = {
        "tool": {
            "driver": {
                "name": "flylint",
                "version": version,
                "semanticVersion": version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": AUTOMATION_ID},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if len(findings) > MAX_RESULTS:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {
                            "text": f"{len(findings) - MAX_RESULTS} results left out "
                            f"(GitHub accepts at most {MAX_RESULTS} per run)"
                        },
                    }
                ],
            }
        ]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(findings: list[Finding], ctx: ReportContext) -> str:
    from flylint.catalogue import load_index

    log = sarif_log(findings, ctx, load_index())
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
