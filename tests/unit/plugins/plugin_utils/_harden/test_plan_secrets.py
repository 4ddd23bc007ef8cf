# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A plan's diffs and registry values carry no secret, before or after, changed or context, unless asked."""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import FileChange, Plan, RegistryChange, sha256

WINLOGON = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
BEFORE = b"""<configuration>
  <connectionStrings>
    <add name="Shop" connectionString="Server=db;Password=Before37" />
  </connectionStrings>
  <system.web>
    <compilation debug="true" />
    <machineKey validationKey="ValidationKey38" decryptionKey="DecryptionKey39" validation="MD5" />
  </system.web>
</configuration>
"""
AFTER = BEFORE.replace(b'debug="true"', b'debug="false"').replace(b'validation="MD5"', b'validation="HMACSHA256"').replace(b"Before37", b"After40")
SECRETS = ("Before37", "ValidationKey38", "DecryptionKey39", "After40", "Autologon41", "Autologon42")


def plan() -> tuple[Plan, dict[str, bytes | None]]:
    path = "C:\\inetpub\\shop\\web.config"
    change = FileChange(path, sha256(BEFORE), AFTER)
    registry = [
        RegistryChange(WINLOGON, "DefaultPassword", "Autologon42", "string", "Autologon41", "t-rule"),
        RegistryChange(WINLOGON, "AutoAdminLogon", "0", "string", "1", "t-rule"),
    ]
    return Plan(host="web01", files=[change], registry=registry), {path: BEFORE}


def test_the_plan_dict_redacts_changed_and_context_lines_and_secret_registry_values() -> None:
    planned, originals = plan()
    shown = planned.as_dict(originals)
    diff = shown["files"][0]["diff"]
    assert all(secret not in str(shown) for secret in SECRETS)
    assert '-    <compilation debug="true" />' in diff and '+    <compilation debug="false" />' in diff
    # a secret that changed is no visible change once redacted: a context line (the SHA-256 still differ)
    assert '     <add name="Shop" connectionString="[redacted]" />' in diff.splitlines()
    assert '-    <machineKey validationKey="[redacted]" decryptionKey="[redacted]" validation="MD5" />' in diff
    assert shown["registry"][0]["value"] == shown["registry"][0]["before"] == "[redacted]"
    assert (shown["registry"][1]["value"], shown["registry"][1]["before"]) == ("0", "1")


def test_the_raw_plan_shows_everything() -> None:
    planned, originals = plan()
    shown = planned.as_dict(originals, show_secrets=True)
    assert all(secret in str(shown) for secret in SECRETS)


def test_the_ansible_diff_redacts_both_files_and_registry_values() -> None:
    planned, originals = plan()
    diffs = Harden._diff(planned, originals)
    assert all(secret not in str(diffs) for secret in SECRETS)
    assert diffs[0]["prepared"].startswith("Changes by impact, most disruptive first:")
    assert 'connectionString="[redacted]"' in diffs[1]["before"] and 'connectionString="[redacted]"' in diffs[1]["after"]
    assert "DefaultPassword = '[redacted]'" in diffs[2]["before"] and "AutoAdminLogon = '0' (string)" in diffs[2]["after"]
    assert "Autologon42" in str(Harden._diff(planned, originals, show_secrets=True))
