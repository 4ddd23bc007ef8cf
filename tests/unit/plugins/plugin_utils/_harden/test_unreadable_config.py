# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Harden leaves a web.config IIS cannot read alone, says why, and hardens everything else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import UNREADABLE_RULE_ID, Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import ApplyError, apply_to_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import FileChange, plan_host

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
RULES = load_catalog().rules
APPHOST = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")
INTRANET_WEB_CONFIG = Path("files/C/inetpub/intranet/web.config")
INTRANET_PATH = "C:\\inetpub\\intranet\\web.config"
INTRANET_SITE = """            <site name="Intranet" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\intranet" />
                </application>
            </site>
"""
BROKEN_INTRANET = b"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <directoryBrowse enabled="true">
    <httpErrors errorMode="Detailed" />
  </system.webServer>
</configuration>
"""
"""Line 6 closes <system.webServer> while <directoryBrowse> is open."""


def web01_with_a_broken_intranet(tmp_path: Path) -> Path:
    """web01 (drifted) plus a second site, Intranet, whose web.config IIS cannot read."""
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    apphost = snapshot / APPHOST
    apphost.write_text(
        apphost.read_text(encoding="utf-8").replace("            <siteDefaults>", INTRANET_SITE + "            <siteDefaults>"), encoding="utf-8"
    )
    (snapshot / INTRANET_WEB_CONFIG).parent.mkdir(parents=True)
    (snapshot / INTRANET_WEB_CONFIG).write_bytes(BROKEN_INTRANET)
    return snapshot


def test_the_plan_hardens_the_other_site_and_leaves_the_broken_file_alone_saying_why(tmp_path: Path) -> None:
    snapshot = web01_with_a_broken_intranet(tmp_path)
    lab_plan = plan_host(load_snapshot(LAB / "web01"), RULES)

    plan = plan_host(load_snapshot(snapshot), RULES)

    assert [(f.path, f.line) for f in plan.skipped_files] == [(INTRANET_PATH, 6)]
    reason = plan.skipped_files[0].reason
    assert "not well-formed XML: mismatched tag" in reason
    assert "HTTP 500.19 for URLs under Intranet" in reason
    # Default Web Site's own files are planned as on the lab host; the broken file is not touched.
    assert sorted(c.path for c in plan.files) == sorted(c.path for c in lab_plan.files)
    web_configs = {c.path: c.after for c in plan.files if c.path.endswith("web.config") and "Framework64" not in c.path}
    assert web_configs == {c.path: c.after for c in lab_plan.files if c.path in web_configs}
    assert web_configs, "the healthy site's web.configs are hardened"
    assert plan.rules == lab_plan.rules


def test_the_apply_succeeds_and_the_broken_file_stays_byte_identical(tmp_path: Path) -> None:
    snapshot = web01_with_a_broken_intranet(tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)

    result = apply_to_snapshot(snapshot, plan)

    assert result.changed and result.backup
    assert (snapshot / INTRANET_WEB_CONFIG).read_bytes() == BROKEN_INTRANET
    after = Evaluator(load_snapshot(snapshot)).evaluate(RULES)
    assert [(f.rule_id, f.scope) for f in after if f.status == "error"] == [(UNREADABLE_RULE_ID, "Intranet")]
    automated = {r.id for r in RULES if r.automated_remediation}
    held = {(h.rule, h.scope) for h in plan.held_back}  # breaks-if-in-use without its precondition: left to a person
    assert [f"{f.rule_id} @ {f.scope}" for f in after if f.status == "fail" and f.rule_id in automated and (f.rule_id, f.scope) not in held] == []
    second = plan_host(load_snapshot(snapshot), RULES)
    assert second.empty
    assert [f.path for f in second.skipped_files] == [INTRANET_PATH]


def test_the_apply_still_refuses_a_plan_that_breaks_a_file(tmp_path: Path) -> None:
    """Tolerating the file left alone does not tolerate a file the plan itself makes unreadable."""
    snapshot = web01_with_a_broken_intranet(tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)
    shop = next(c for c in plan.files if c.path == "C:\\inetpub\\shop\\web.config")
    plan.files[plan.files.index(shop)] = FileChange(shop.path, shop.before_sha256, shop.after.replace(b"</configuration>", b""))
    before = (snapshot / "files/C/inetpub/shop/web.config").read_bytes()

    with pytest.raises(ApplyError, match=r"C:\\inetpub\\shop\\web.config.*500\.19 for URLs under Default Web Site/shop") as caught:
        apply_to_snapshot(snapshot, plan)

    # Refused before anything is written (check mode would say the same): nothing to restore.
    assert not caught.value.restored and caught.value.backup is None
    assert (snapshot / "files/C/inetpub/shop/web.config").read_bytes() == before


def test_a_broken_application_host_config_refuses_the_host_naming_file_and_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "web02"
    shutil.copytree(LAB / "web02", snapshot)
    apphost = snapshot / APPHOST
    apphost.write_text(apphost.read_text(encoding="utf-8").replace("        <sites>", "        <sites>\n<unclosed>", 1), encoding="utf-8")
    before = apphost.read_bytes()

    with pytest.raises(ConfigError, match=r"applicationHost\.config:\d+:\d+: not well-formed XML: .*every site of the host depends on this file"):
        plan_host(load_snapshot(snapshot), RULES)

    assert apphost.read_bytes() == before
