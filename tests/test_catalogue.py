"""The catalogue and the checks agree, the compiled index is fresh, and RULES.md is honoured."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, RULES_DIR

from flylint import catalogue
from flylint.engine import PASS_RULES, load_checks

SEVERITY_LETTER = {"E": "error", "W": "warning", "I": "info"}
FAMILIES = {"inputs", "https", "headers", "health", "volumes", "database", "secrets", "image", "ci"}


def yaml_entries() -> dict[str, dict]:
    return {p.stem: catalogue.load_yaml(p) for p in sorted(RULES_DIR.glob("FLY*.yaml"))}


def rules_md_rows() -> dict[str, tuple[str, str]]:
    """ID -> (slug, severity) from the shared RULES.md, when it is present beside the repo."""
    path = REPO.parent / "shared" / "RULES.md"
    if not path.exists():
        pytest.skip("../shared/RULES.md is not beside this checkout")
    rows = {}
    for m in re.finditer(r"^\| (FLY\d{3}) \| ([a-z0-9-]+) \| ([EWI]) \|", path.read_text(), re.M):
        rows[m.group(1)] = (m.group(2), SEVERITY_LETTER[m.group(3)])
    return rows


def test_every_catalogue_entry_has_a_check_and_every_check_an_entry():
    entries = set(yaml_entries())
    checks = set(load_checks()) | PASS_RULES
    assert entries - checks == set(), "catalogue entries without a check"
    assert checks - entries == set(), "checks without a catalogue entry"


def test_entries_are_complete_and_named_after_their_id():
    for stem, data in yaml_entries().items():
        assert data["id"] == stem
        for key in (
            "slug",
            "severity",
            "family",
            "title",
            "summary",
            "rationale",
            "fix",
            "docs",
            "examples",
        ):
            assert data.get(key), f"{stem}: missing {key}"
        assert data["severity"] in ("error", "warning", "info"), stem
        assert data["family"] in FAMILIES, stem
        assert all(d["url"].startswith("https://") for d in data["docs"]), stem
        names = [e.get("expect") for e in data["examples"]]
        assert any(names), f"{stem}: no firing example"
        assert any(n == [] for n in names), f"{stem}: no clean example"


def test_ids_slugs_and_severities_match_rules_md():
    rows = rules_md_rows()
    for stem, data in yaml_entries().items():
        if stem not in rows:
            # A rule added beyond the contract must say why, in its own file.
            assert data.get("decisions"), f"{stem} is not in RULES.md and records no decision"
            continue
        slug, severity = rows[stem]
        assert data["slug"] == slug, stem
        assert data["severity"] == severity, stem


def test_doc_urls_come_from_the_knowledge_files():
    knowledge = REPO.parent / "shared" / "knowledge"
    if not knowledge.exists():
        pytest.skip("../shared/knowledge is not beside this checkout")
    text = "".join(p.read_text() for p in knowledge.glob("*.md"))
    for stem, data in yaml_entries().items():
        for doc in data["docs"]:
            base = doc["url"].split("#", 1)[0]
            assert base in text, f"{stem}: {doc['url']} is not listed in knowledge/"


def test_compiled_index_is_fresh():
    current = catalogue.INDEX_PATH.read_text(encoding="utf-8")
    assert current == catalogue.index_text(), "run: python -m flylint.catalogue"


def test_generated_rule_docs_are_fresh():
    pages = catalogue.rule_docs()
    for name, page in pages.items():
        path = REPO / "docs" / "rules" / name
        assert path.exists(), f"docs/rules/{name} missing: run python -m flylint.catalogue"
        assert path.read_text(encoding="utf-8") == page, (
            f"docs/rules/{name} stale: run python -m flylint.catalogue"
        )
    extra = {p.name for p in (REPO / "docs" / "rules").glob("FLY*.md")} - set(pages)
    assert not extra, f"docs for rules that no longer exist: {extra}"
