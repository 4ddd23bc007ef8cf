# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check mode runs every validation the apply runs, before anything is written; errors name lines of the files on disk."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import expand
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import all_hold
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS, ApplyError, PlanValidationError, apply_to_snapshot, local_path
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import FileChange, Plan, Planner, plan_host

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
RULES = load_catalog().rules
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
APPHOST_FILE = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")


def digest(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file()}


def edit_of(snapshot: Path, old: bytes, new: bytes) -> Plan:
    """A plan with one edit of applicationHost.config (as a check kind's fix would make it)."""
    before = (snapshot / APPHOST_FILE).read_bytes()
    assert old in before
    return Plan(host="web01", files=[FileChange(APPHOST, hashlib.sha256(before).hexdigest(), before.replace(old, new, 1))])


@pytest.mark.parametrize("check_mode", [True, False], ids=["check", "apply"])
def test_an_edit_that_makes_a_duplicate_fails_before_anything_is_written_naming_the_on_disk_lines(check_mode: bool, tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    lines = (snapshot / APPHOST_FILE).read_text(encoding="utf-8").splitlines()
    anchor = next(number for number, line in enumerate(lines, 1) if "<globalModules>" in line)
    module = next(line.strip() for line in lines[anchor:] if "<add name=" in line)
    plan = edit_of(snapshot, b"<globalModules>", b"<globalModules>\n            " + module.encode("utf-8"))
    before = digest(snapshot)

    with pytest.raises(PlanValidationError) as caught:
        apply_to_snapshot(snapshot, plan, check_mode=check_mode)

    message = str(caught.value)
    assert message.startswith(f"the plan's edit of {APPHOST} would make it invalid: duplicate collection entry <add>")
    assert f"a line the plan inserts after on-disk line {anchor}" in message
    first_on_disk = next(number for number, line in enumerate(lines, 1) if line.strip() == module)
    assert f"line {first_on_disk} (on disk, unchanged by the plan)" in message
    assert message.endswith("nothing was changed")
    assert not caught.value.restored and caught.value.backup is None
    assert digest(snapshot) == before
    assert not (snapshot / BACKUPS).exists()


def test_a_file_already_invalid_on_disk_is_named_as_such(tmp_path: Path) -> None:
    """A web.config IIS cannot read that the plan did not leave alone: the error names its on-disk line."""
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    web_config = snapshot / "files/C/inetpub/wwwroot/web.config"
    text = web_config.read_text(encoding="utf-8").replace("<system.webServer>", "<system.webServer>\n<unclosed>", 1)
    web_config.write_text(text, encoding="utf-8")
    broken_line = next(number for number, line in enumerate(text.splitlines(), 1) if line == "<unclosed>")
    plan = edit_of(snapshot, b"<globalModules>", b"<globalModules>\n")

    with pytest.raises(PlanValidationError) as caught:
        apply_to_snapshot(snapshot, plan, check_mode=True)

    message = str(caught.value)
    assert message.startswith("C:\\inetpub\\wwwroot\\web.config:")
    assert int(message.split(":")[2]) >= broken_line
    assert "the file is already invalid on disk" in message and message.endswith("nothing was changed")


CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
SERVERS = sorted((Path(CORPUS) / "applicationhost").glob("*.config")) if CORPUS else []
SCHEMA = Path(CORPUS, "schema", "IIS_schema_c1982-IIS-SharedGitConfig.xml")
MACHINE = Path(CORPUS, "schema", "machine.config_psiservices-dconder-hello-world.config")
PAIRS = {"01": "19", "05": "18", "06": "17", "15": "25", "17": "27", "21": "24", "23": "21", "25": "26", "26": "22", "29": "23"}
"""applicationHost.config → the web.config of the same repository (corpus/SOURCES.tsv)."""


def corpus_host(server: Path, tmp_path: Path) -> Path:
    """A snapshot of one real server: its applicationHost.config, IIS's schema, a real machine.config and
    the web.config of its repository at the root of each site."""
    snapshot = tmp_path / server.stem
    config = snapshot / APPHOST_FILE.parent
    (config / "schema").mkdir(parents=True)
    shutil.copy(server, config / "applicationHost.config")
    shutil.copy(SCHEMA, config / "schema" / "IIS_schema.xml")
    machine = snapshot / "files/C/Windows/Microsoft.NET/Framework64/v4.0.30319/Config"
    machine.mkdir(parents=True)
    shutil.copy(MACHINE, machine / "machine.config")
    (snapshot / "state.yml").write_text("---\nhost: corpus\nfeatures: {}\nservices: {}\n", encoding="utf-8")
    paired = next(iter(sorted((Path(CORPUS) / "webconfig").glob(f"{PAIRS[server.name[:2]]}_*.config"))), None) if server.name[:2] in PAIRS else None
    if paired is not None:
        state = load_snapshot(snapshot)
        for site in state.configuration.sites:
            mapped = site.map_path("/")
            root = expand(mapped[2], state.environment) if mapped is not None else ""
            if re.match(r"^[A-Za-z]:\\", root):
                target = local_path(snapshot, root + "\\web.config")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(paired, target)
    return snapshot


def outcome(snapshot: Path, plan: Plan, *, check_mode: bool) -> str | None:
    try:
        apply_to_snapshot(snapshot, plan, check_mode=check_mode)
    except ApplyError as exc:
        return str(exc)
    return None


def assert_lines_on_disk(snapshot: Path, message: str) -> None:
    """Every ``file:line`` an error names is a line of that file on disk holding an element."""
    for path, line in re.findall(r"([A-Za-z]:\\[^:;]+):(\d+)", message):
        text = local_path(snapshot, path).read_text(encoding="utf-8-sig").splitlines()
        assert "<" in text[int(line) - 1], (path, line)


@pytest.mark.skipif(not SERVERS, reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
@pytest.mark.parametrize("server", SERVERS, ids=lambda p: p.name[:2])
def test_check_mode_fails_exactly_where_the_real_apply_fails_on_every_real_server(server: Path, tmp_path: Path) -> None:
    snapshot = corpus_host(server, tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)

    checked = outcome(snapshot, plan, check_mode=True)
    applied = outcome(snapshot, plan, check_mode=False)

    assert (checked is None) == (applied is None), (checked, applied)
    if checked is not None:
        assert_lines_on_disk(snapshot, checked)


@pytest.mark.skipif(not SERVERS, reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
@pytest.mark.parametrize("server", SERVERS, ids=lambda p: p.name[:2])
def test_harden_never_plans_a_disruptive_change_whose_precondition_fails_on_a_real_server_and_a_second_run_changes_nothing(
    server: Path, tmp_path: Path
) -> None:
    """Issue 16, section 3: the defaults are safe on a production server its owner never tuned."""
    snapshot = corpus_host(server, tmp_path)
    state = load_snapshot(snapshot)
    plan = plan_host(state, RULES)
    by_id = {r.id: r for r in RULES}
    planner = Planner(state, RULES)
    for fix in plan.fixes:
        rule = by_id[fix.rule]
        if fix.impact != "breaks-if-in-use":
            continue
        assert rule.precondition, f"{fix.rule} @ {fix.scope} was planned without a precondition or an opt-in"
        general = tuple(c for c in rule.precondition if c.kind != "pool")
        if general:  # re-tested on the host as it is, independently of the planner's decision
            assert all_hold(general, planner._evaluation(rule, fix.scope)).holds is True, (fix, server.name)
    before = (snapshot / APPHOST_FILE).read_text(encoding="utf-8-sig", errors="replace")
    after = next((f.after.decode("utf-8-sig", errors="replace") for f in plan.files if f.path == APPHOST), before)
    # a service account is never replaced: every pool that runs as one keeps it
    assert after.count('identityType="SpecificUser"') == before.count('identityType="SpecificUser"')
    assert all(by_id[held.rule].disruptive for held in plan.held_back)
    if plan.empty:
        return
    apply_to_snapshot(snapshot, plan)
    assert plan_host(load_snapshot(snapshot), RULES).empty
