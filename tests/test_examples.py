"""Every example in every catalogue entry runs as a test: its files are a whole small project and
its `expect` lists the findings of that rule, as `RULE path:line`."""

from __future__ import annotations

import pytest
from conftest import RULES_DIR, write_project

from flylint import catalogue
from flylint.discover import discover
from flylint.engine import Selection, lint


def examples():
    for path in sorted(RULES_DIR.glob("FLY*.yaml")):
        data = catalogue.load_yaml(path)
        for number, example in enumerate(data.get("examples") or []):
            yield pytest.param(
                data["id"], example, id=f"{data['id']}-{number}-{example.get('name', '')}"
            )


@pytest.mark.parametrize(("rule_id", "example"), list(examples()))
def test_catalogue_example(rule_id, example, tmp_path):
    root = write_project(tmp_path / "project", example["files"])
    found = []
    for project in discover([str(root)]):
        # An example may select more rules (e.g. FLY006 needs a rule whose finding it suppresses);
        # only the findings of the rule under test are compared.
        selection = Selection(select=tuple(example.get("select") or (rule_id,)))
        for f in lint(project, selection):
            if f.rule == rule_id:
                found.append(f"{f.rule} {f.path}:{f.location.line}")
    assert sorted(found) == sorted(example["expect"])
