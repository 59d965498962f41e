"""The rule catalogue: one YAML file per rule under `rules/` (shipped as `flylint/catalogue/`).

`check` needs only a few fields of each rule (ID, slug, severity, title, hint, doc URLs), so those
are compiled into `flylint/catalogue_index.json`, which loads in well under a millisecond; the full
YAML is parsed only by `flylint rule`, the docs generator and the tests. `python -m flylint.catalogue`
rebuilds the index; a test fails when it is stale.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

from flylint.lazyre import lazy
from flylint.records import record

PACKAGE_DIR = Path(__file__).resolve().parent
INDEX_PATH = PACKAGE_DIR / "catalogue_index.json"
RULE_ID = lazy(r"^FLY\d{3}$")


class CatalogueError(Exception):
    """A catalogue file is missing or malformed (a packaging bug, reported as exit 2)."""


@record(frozen=True)
class RuleMeta:
    """What `check` and the reporters need to know about a rule."""

    id: str
    slug: str
    severity: str
    family: str
    title: str
    summary: str
    hint: str
    docs: tuple[tuple[str, str], ...]  # (title, url)

    @property
    def urls(self) -> tuple[str, ...]:
        return tuple(url for _, url in self.docs)


def catalogue_dir() -> Path:
    """The YAML directory: inside the installed package, else the repo's top-level `rules/`."""
    shipped = PACKAGE_DIR / "catalogue"
    if shipped.is_dir():
        return shipped
    return PACKAGE_DIR.parent / "rules"


def rule_files() -> list[Path]:
    return sorted(catalogue_dir().glob("FLY*.yaml"))


def load_yaml(path: Path) -> dict:
    """Parse one rule file (slow path: ruamel is imported only here)."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not RULE_ID.match(str(data.get("id", ""))):
        raise CatalogueError(f"{path.name}: not a rule file (no valid `id`)")
    return data


def first_paragraph(markdown: str) -> str:
    """The fix's first paragraph as one line of plain text: the default hint of a finding.

    A paragraph that introduces a snippet ("... writes one:") is cut back to its last whole
    sentence, so the hint reads as advice on its own."""
    para = markdown.strip().split("\n\n", 1)[0]
    text = " ".join(line.strip() for line in para.splitlines()).replace("`", "")
    if text.endswith(":"):
        cut = text.rfind(". ")
        text = text[: cut + 1] if cut > 0 else text[:-1]
    return text


def meta_from_yaml(data: dict) -> RuleMeta:
    return RuleMeta(
        id=data["id"],
        slug=data["slug"],
        severity=data["severity"],
        family=data.get("family", ""),
        title=data["title"],
        summary=data.get("summary", ""),
        hint=str(data.get("hint") or first_paragraph(data.get("fix", ""))),
        docs=tuple((d["title"], d["url"]) for d in data.get("docs", [])),
    )


def build_index() -> dict:
    """The compiled index, from the YAML files."""
    rules = {}
    for path in rule_files():
        meta = meta_from_yaml(load_yaml(path))
        rules[meta.id] = {
            "slug": meta.slug,
            "severity": meta.severity,
            "family": meta.family,
            "title": meta.title,
            "summary": meta.summary,
            "hint": meta.hint,
            "docs": [list(d) for d in meta.docs],
        }
    return {"version": 1, "rules": rules}


def index_text() -> str:
    return json.dumps(build_index(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def load_index() -> dict[str, RuleMeta]:
    """Rule ID -> RuleMeta from the compiled index."""
    try:
        raw = json.loads(INDEX_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CatalogueError(f"cannot read the rule index {INDEX_PATH}: {err}") from err
    return {
        rid: RuleMeta(
            id=rid,
            slug=r["slug"],
            severity=r["severity"],
            family=r["family"],
            title=r["title"],
            summary=r["summary"],
            hint=r["hint"],
            docs=tuple(tuple(d) for d in r["docs"]),
        )
        for rid, r in raw["rules"].items()
    }


def find_rule(name: str) -> RuleMeta | None:
    """Look a rule up by ID (any case) or slug."""
    index = load_index()
    upper = name.strip().upper()
    if upper in index:
        return index[upper]
    for meta in index.values():
        if meta.slug == name.strip().lower():
            return meta
    return None


def full_entry(rule_id: str) -> dict:
    """The whole YAML entry of one rule (for `flylint rule` and docs)."""
    path = catalogue_dir() / f"{rule_id}.yaml"
    if not path.is_file():
        raise CatalogueError(f"no catalogue file for {rule_id}")
    return load_yaml(path)


DOCS_DIR = PACKAGE_DIR.parent / "docs" / "rules"


def rule_docs() -> dict[str, str]:
    """docs/rules/FLYnnn.md file name -> generated markdown, for every catalogue entry."""
    from flylint.explain import render_markdown

    pages = {f"{p.stem}.md": render_markdown(load_yaml(p)) for p in rule_files()}
    rows = ["# flylint rules", "", "| ID | slug | severity | title |", "|---|---|---|---|"]
    for path in rule_files():
        meta = meta_from_yaml(load_yaml(path))
        rows.append(f"| [{meta.id}]({meta.id}.md) | {meta.slug} | {meta.severity} | {meta.title} |")
    pages["README.md"] = "\n".join(rows) + "\n"
    return pages


def main(argv: list[str]) -> int:
    """Rebuild the compiled index and docs/rules/ from rules/*.yaml (or check with --check)."""
    text = index_text()
    pages = rule_docs()
    if argv[1:] == ["--check"]:
        current = INDEX_PATH.read_text(encoding="utf-8") if INDEX_PATH.exists() else ""
        stale = current != text or any(
            not (DOCS_DIR / name).exists() or (DOCS_DIR / name).read_text(encoding="utf-8") != page
            for name, page in pages.items()
        )
        if stale:
            print("the rule index or docs/rules/ is stale: run python -m flylint.catalogue")
            return 1
        return 0
    INDEX_PATH.write_text(text, encoding="utf-8")
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    for old in DOCS_DIR.glob("FLY*.md"):
        if old.name not in pages:
            old.unlink()
    for name, page in pages.items():
        (DOCS_DIR / name).write_text(page, encoding="utf-8")
    print(f"wrote {INDEX_PATH.name} and docs/rules/ ({len(json.loads(text)['rules'])} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
