"""`flylint rules` and `flylint rule ID`: the catalogue, rendered for a terminal or as JSON."""

from __future__ import annotations

import json
import sys

from flylint.catalogue import CatalogueError, find_rule, full_entry, load_index

SEVERITY_COLOR = {"error": "31", "warning": "33", "info": "36"}


def list_rules(output_format: str) -> int:
    index = load_index()
    if output_format == "json":
        rules = [
            {
                "id": m.id,
                "slug": m.slug,
                "severity": m.severity,
                "family": m.family,
                "title": m.title,
            }
            for m in sorted(index.values(), key=lambda m: m.id)
        ]
        sys.stdout.write(json.dumps({"version": 1, "rules": rules}, indent=2) + "\n")
        return 0
    slug_width = max((len(m.slug) for m in index.values()), default=0)
    for meta in sorted(index.values(), key=lambda m: m.id):
        sys.stdout.write(
            f"{meta.id}  {meta.slug.ljust(slug_width)}  {meta.severity:<7}  {meta.title}\n"
        )
    return 0


def explain_rule(name: str, output_format: str, color: bool) -> int:
    meta = find_rule(name)
    if meta is None:
        raise CatalogueError(f"unknown rule {name!r} (see `flylint rules`)")
    entry = full_entry(meta.id)
    if output_format == "json":
        sys.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False) + "\n")
        return 0
    sys.stdout.write(render_text(entry, color))
    return 0


def render_text(entry: dict, color: bool) -> str:
    """A rule page for the terminal: title, severity, rationale, fix, examples, docs."""

    def bold(text: str, code: str = "1") -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    sev = entry["severity"]
    out = [
        f"{bold(entry['id'], '1;' + SEVERITY_COLOR.get(sev, '0'))} {entry['slug']} [{sev}]",
        bold(entry["title"]),
        "",
        entry.get("summary", "").strip(),
        "",
        bold("Why"),
        indent(entry.get("rationale", "")),
        bold("Fix"),
        indent(entry.get("fix", "")),
    ]
    examples = entry.get("examples") or []
    if examples:
        out.append(bold("Examples"))
        for example in examples:
            expect = example.get("expect") or []
            verdict = ", ".join(expect) if expect else "no finding"
            out.append(f"  {example.get('name', '')}: {verdict}")
            for path, content in (example.get("files") or {}).items():
                out.append(f"    --- {path}")
                out.extend(f"    {line}" for line in str(content).rstrip("\n").splitlines())
        out.append("")
    decisions = entry.get("decisions") or []
    if decisions:
        out.append(bold("Decisions"))
        out.extend(f"  - {d}" for d in decisions)
        out.append("")
    out.append(bold("Docs"))
    out.extend(f"  {d['title']}: {d['url']}" for d in entry.get("docs", []))
    return "\n".join(out) + "\n"


def indent(markdown: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in markdown.strip().splitlines()) + "\n"


def render_markdown(entry: dict) -> str:
    """The rule page for docs/rules/FLYnnn.md: the same content `flylint rule` prints."""
    out = [
        f"# {entry['id']} {entry['slug']}",
        "",
        f"**{entry['title']}** — severity `{entry['severity']}`, family `{entry.get('family', '')}`",
        "",
        entry.get("summary", "").strip(),
        "",
        "## Why",
        "",
        entry.get("rationale", "").strip(),
        "",
        "## Fix",
        "",
        entry.get("fix", "").strip(),
        "",
    ]
    examples = entry.get("examples") or []
    if examples:
        out += ["## Examples", ""]
        for example in examples:
            expect = example.get("expect") or []
            verdict = ", ".join(f"`{e}`" for e in expect) if expect else "no finding"
            out += [f"### {example.get('name', '')}", "", f"Expected: {verdict}", ""]
            for path, content in (example.get("files") or {}).items():
                fence = "````" if "```" in str(content) else "```"
                out += [f"`{path}`:", "", fence, str(content).rstrip("\n"), fence, ""]
    decisions = entry.get("decisions") or []
    if decisions:
        out += ["## Decisions", ""] + [f"- {d}" for d in decisions] + [""]
    out += ["## Docs", ""] + [f"- [{d['title']}]({d['url']})" for d in entry.get("docs", [])]
    return "\n".join(out) + "\n"
