# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's rule catalog: complete, documented, and evaluable on every lab host."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import Condition
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot
from tools.generate_rules_doc import OUTPUT, render

ROOT = Path(__file__).resolve().parents[3]
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
REFERENCE = Path(CORPUS).parent / "reference" if CORPUS else Path("/nonexistent")
LAB = sorted(p for p in (ROOT / "inventories" / "lab" / "snapshots").iterdir() if p.is_dir())
CATALOG = load_catalog()
INVENTORY = yaml.safe_load((ROOT / "inventories" / "lab" / "hosts.yml").read_text(encoding="utf-8"))["all"]["children"]["lab"]["hosts"]


def lab_host(snapshot: Path) -> HostState:
    """A lab host as the lab inventory describes it: its snapshot, with the site roles the organisation states."""
    state = load_snapshot(snapshot)
    state.site_roles = dict(INVENTORY[snapshot.name].get("hardened_iis_site_roles", {}))
    return state


def reference(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_docs_rules_md_is_generated_from_the_catalog() -> None:
    assert OUTPUT.read_text(encoding="utf-8") == render(CATALOG), "docs/rules.md is stale: run python tools/generate_rules_doc.py"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the shared reference tables (HARDENED_IIS_CORPUS/../reference) are not available")
def test_every_cis_recommendation_is_covered() -> None:
    wanted = {row["id"] for row in reference("cis_iis10_v1.2.1_titles.tsv")}
    covered = {i for rule in CATALOG.rules for i in rule.references.get("cis_iis10", [])}
    assert len(wanted) == 55
    assert wanted - covered == set()
    assert covered - wanted == set()


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="the shared reference tables (HARDENED_IIS_CORPUS/../reference) are not available")
def test_every_stig_rule_is_covered_with_its_severity_and_stig_id() -> None:
    rows = reference("disa_iis10_stig_rules.tsv")
    wanted = {row["vuln_id"]: row for row in rows}
    assert len(wanted) == 84
    covered: dict[str, list[str]] = {}
    for rule in CATALOG.rules:
        vulns = rule.references.get("stig", [])
        assert len(vulns) == len(rule.references.get("stig_rule", [])), rule.id
        for vuln, stig_id in zip(vulns, rule.references.get("stig_rule", []), strict=True):
            assert wanted[vuln]["stig_id"] == stig_id, f"{rule.id}: {vuln} is {wanted[vuln]['stig_id']}, not {stig_id}"
            covered.setdefault(vuln, []).append(rule.severity)
    assert set(wanted) - set(covered) == set()
    for vuln, severities in covered.items():
        assert wanted[vuln]["severity"] in severities, f"{vuln}: no rule carries the STIG's severity {wanted[vuln]['severity']}"


def test_manual_rules_say_why_and_what_to_do() -> None:
    for rule in CATALOG.rules:
        if not rule.automated:
            assert len(str(rule.check.spec["reason"]).split()) >= 4, rule.id
            assert len(str(rule.check.spec["guidance"]).split()) >= 4, rule.id


@pytest.mark.parametrize("snapshot", LAB, ids=lambda p: p.name)
def test_the_catalog_evaluates_on_every_lab_host_without_error(snapshot: Path) -> None:
    findings = Evaluator(lab_host(snapshot)).evaluate(CATALOG.rules)
    errors = [f"{f.rule_id} {f.scope}: {f.evidence.actual}" for f in findings if f.status == "error"]
    assert errors == []
    assert {f.rule_id for f in findings} == {r.id for r in CATALOG.rules}


def test_every_automated_rule_fails_somewhere_and_passes_somewhere_in_the_lab() -> None:
    statuses: dict[str, set[str]] = {}
    for snapshot in LAB:
        for finding in Evaluator(lab_host(snapshot)).evaluate(CATALOG.rules):
            statuses.setdefault(finding.rule_id, set()).add(finding.status)
    automated = [rule.id for rule in CATALOG.rules if rule.automated]
    assert [rule for rule in automated if "pass" not in statuses[rule]] == []
    assert [rule for rule in automated if "fail" not in statuses[rule]] == []


def test_the_hardened_lab_host_passes_every_automated_rule() -> None:
    findings = Evaluator(lab_host(ROOT / "inventories" / "lab" / "snapshots" / "web03")).evaluate(CATALOG.rules)
    assert [f"{f.rule_id} @ {f.scope}: {f.evidence.actual}" for f in findings if f.status not in ("pass", "manual", "not_applicable")] == []
    assert all(str(f.evidence.actual).startswith("not applicable: ") for f in findings if f.status == "not_applicable")


def test_every_rule_with_applicability_applies_somewhere_and_not_somewhere_in_the_lab() -> None:
    statuses: dict[str, set[str]] = {}
    for snapshot in LAB:
        for finding in Evaluator(lab_host(snapshot)).evaluate(CATALOG.rules):
            statuses.setdefault(finding.rule_id, set()).add(finding.status)
    # Every lab host's IIS has native HSTS: the schema condition is exercised on a host built without it
    # (tests/unit/rules/test_benchmark_text.py, test_without_native_hsts_in_the_hosts_schema_...).
    conditional = [rule.id for rule in CATALOG.rules if rule.applies_when and {c.kind for c in rule.applies_when} != {"schema"}]
    assert conditional
    assert [r for r in conditional if not statuses[r] & {"pass", "fail"}] == []
    assert [r for r in conditional if "not_applicable" not in statuses[r]] == []


def test_every_feature_a_rule_reads_is_one_the_live_gather_lists() -> None:
    """A feature the gather does not list is an error (check) or a person's question (condition) on every live host."""
    import fnmatch
    import re

    gather = (ROOT / "plugins" / "modules" / "iis_host_state.ps1").read_text(encoding="utf-8")
    call = re.search(r"Get-WindowsFeature -Name ([^)]*)\)", gather)
    assert call is not None
    patterns = re.findall(r"'([^']+)'", call.group(1))
    named = {str(r.check.spec["name"]) for r in CATALOG.rules if r.check.kind == "feature"}

    def features(conditions: tuple[Condition, ...]) -> set[str]:
        found = set()
        for condition in conditions:
            found |= features(condition.parts) if condition.kind == "any_of" else {str(condition.spec["name"])} if condition.kind == "feature" else set()
        return found

    for rule in CATALOG.rules:
        named |= features(rule.applies_when) | features(rule.precondition)
    assert named and [n for n in sorted(named) if not any(fnmatch.fnmatchcase(n, p) for p in patterns)] == []
