# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A web.config IIS cannot read is one error finding at its scope; every other scope is evaluated as before."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import UNREADABLE_RULE_ID, Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import UnreadableServerFileError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
SCHEMA = json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))
RULES = load_catalog().rules
APPHOST = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")
INTRANET_WEB_CONFIG = Path("files/C/inetpub/intranet/web.config")
INTRANET_SITE = """            <site name="Intranet" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\intranet" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:81:" />
                </bindings>
            </site>
"""
INTRANET = """<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <directoryBrowse enabled="true" />
    <httpErrors errorMode="Detailed" />
  </system.webServer>
</configuration>
"""
Break = Callable[[str], str]
BREAKS: dict[str, tuple[Break, int, str]] = {
    "unclosed-tag": (lambda text: text.replace('enabled="true" />', 'enabled="true">'), 6, "not well-formed XML: mismatched tag"),
    "duplicated-section": (
        lambda text: text.replace("  </system.webServer>", '    <directoryBrowse enabled="false" />\n  </system.webServer>'),
        6,
        "duplicate section system.webServer/directoryBrowse (first at line 4)",
    ),
    "invalid-attribute": (lambda text: text.replace('enabled="true"', 'enabled="true" enabled="false"'), 4, "not well-formed XML: duplicate attribute"),
}


def lab_copy(tmp_path: Path, name: str) -> Path:
    """web01 with a second site, Intranet, whose root folder holds a web.config."""
    snapshot = tmp_path / name
    shutil.copytree(LAB / "web01", snapshot)
    apphost = snapshot / APPHOST
    apphost.write_text(
        apphost.read_text(encoding="utf-8").replace("            <siteDefaults>", INTRANET_SITE + "            <siteDefaults>"), encoding="utf-8"
    )
    (snapshot / INTRANET_WEB_CONFIG).parent.mkdir(parents=True)
    (snapshot / INTRANET_WEB_CONFIG).write_text(INTRANET, encoding="utf-8")
    return snapshot


def broken(snapshot: Path, relative: Path | str, change: Break) -> Path:
    path = snapshot / relative
    changed = change(path.read_text(encoding="utf-8"))
    assert changed != path.read_text(encoding="utf-8")
    path.write_text(changed, encoding="utf-8")
    return snapshot


def under(scope: str, broken_scope: str) -> bool:
    return scope.casefold() == broken_scope.casefold() or scope.casefold().startswith(broken_scope.casefold() + "/")


def by_place(findings: list[Finding]) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.scope): f.status for f in findings}


def assert_only_the_broken_scope_differs(clean: list[Finding], after: list[Finding], error: Finding) -> None:
    """Every scope outside the broken one has the same findings with the same status; inside it, a
    finding is either evaluated as before (a setting only server files hold) or listed as not evaluated."""
    before, now = by_place(clean), by_place([f for f in after if f is not error])
    outside = {place: status for place, status in before.items() if not under(place[1], error.scope)}
    assert {place: status for place, status in now.items() if not under(place[1], error.scope)} == outside
    for place, status in now.items():
        assert before[place] == status, place
    missing = {place[0] for place in set(before) - set(now)}
    assert missing, "some rules depend on the broken file"
    for rule in missing:
        assert rule in str(error.evidence.actual)


@pytest.fixture(scope="module")
def clean_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return Evaluator(load_snapshot(lab_copy(tmp_path_factory.mktemp("clean"), "web01"))).evaluate(RULES)


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_a_broken_site_web_config_is_one_error_finding_and_the_other_site_is_evaluated_as_before(
    kind: str, clean_findings: list[Finding], tmp_path: Path
) -> None:
    change, line, cause = BREAKS[kind]
    snapshot = broken(lab_copy(tmp_path, "web01"), INTRANET_WEB_CONFIG, change)

    findings = Evaluator(load_snapshot(snapshot)).evaluate(RULES)

    errors = [f for f in findings if f.status == "error"]
    assert len(errors) == 1
    error = errors[0]
    assert (error.rule_id, error.scope, error.severity) == (UNREADABLE_RULE_ID, "Intranet", "high")
    assert (error.evidence.file, error.evidence.line) == ("C:\\inetpub\\intranet\\web.config", line)
    assert str(error.evidence.actual).startswith(cause)
    assert "IIS would answer HTTP 500.19 for URLs under Intranet" in str(error.evidence.actual)
    assert_only_the_broken_scope_differs(clean_findings, findings, error)
    # The site's bindings live in applicationHost.config only: still evaluated, never left out.
    bindings = ("iis-site-bindings-have-host-headers", "Intranet")
    assert by_place(findings)[bindings] == by_place(clean_findings)[bindings]
    for finding in findings:
        jsonschema.validate({"format": "hardened.iis/findings/v1", "generated_at": "2026-12-06T00:00:00Z", "findings": [finding.as_dict()]}, SCHEMA)


@pytest.mark.parametrize(
    ("relative", "scope"),
    [("files/C/inetpub/wwwroot/web.config", "Default Web Site"), ("files/C/inetpub/shop/web.config", "Default Web Site/shop")],
    ids=["site-root", "application"],
)
def test_a_broken_web_config_of_the_drifted_host_is_one_error_instead_of_one_per_rule(relative: str, scope: str, tmp_path: Path) -> None:
    clean = Evaluator(load_snapshot(LAB / "web01")).evaluate(RULES)
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    broken(snapshot, relative, lambda text: text.replace("<system.webServer>", "<system.webServer><unclosed>", 1))

    findings = Evaluator(load_snapshot(snapshot)).evaluate(RULES)

    errors = [f for f in findings if f.status == "error"]
    assert [(f.rule_id, f.scope) for f in errors] == [(UNREADABLE_RULE_ID, scope)]
    assert errors[0].evidence.file == "C:\\" + relative.removeprefix("files/C/").replace("/", "\\")
    assert errors[0].evidence.line is not None
    assert_only_the_broken_scope_differs(clean, findings, errors[0])


def test_a_broken_application_host_config_fails_the_host_naming_file_and_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    broken(snapshot, APPHOST, lambda text: text.replace("        <sites>", "        <sites><broken>", 1))

    with pytest.raises(UnreadableServerFileError) as caught:
        Evaluator(load_snapshot(snapshot)).evaluate(RULES)

    assert caught.value.file == "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
    assert caught.value.line is not None
    assert "not well-formed XML" in caught.value.cause
    assert "every site of the host depends on this file" in str(caught.value)
    registry_only = tuple(r for r in RULES if r.check.kind == "registry")
    assert {f.status for f in Evaluator(load_snapshot(snapshot)).evaluate(registry_only)} <= {"pass", "fail"}
