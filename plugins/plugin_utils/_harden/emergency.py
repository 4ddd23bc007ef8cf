# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Emergency mitigations: rules pushed fleet-wide in one run, and taken back exactly.

``urlscan_emergency_rules`` items become ordinary catalog rules (server scope), so they are
audited, planned, applied, backed up and rolled back like every other rule:

    - id: cve-2026-0001
      reason: Path traversal in the shop application, until the vendor patch is installed
      deny_url_sequences: ["..%2f", "%252e"]
      deny_query_strings: ["<script"]
      deny_verbs: [PROPFIND]
      deny_extensions: [.asa]
      deny_headers: [X-Forwarded-Host]   # requestLimits/headerLimits, sizeLimit 0
      state: present        # absent removes exactly these entries again

A mitigation (``playbooks/emergency_mitigation.yml``, docs/incident-response.md) is one such
item without ``state``, plus SCHANNEL protocols and ciphers to disable (registry values, the
way the catalog's tls rules write them) and sites and application pools to stop (their
``serverAutoStart`` / ``autoStart`` in applicationHost.config; a name a host does not have is
not applicable there). :func:`reversal_rules` turns the record of one application back into
rules that remove exactly what that application changed, and :func:`rollback_method` decides
whether the byte-for-byte backup may be used instead.
"""

from __future__ import annotations

import re
from typing import Any

KINDS = {
    "deny_url_sequences": ("denyUrlSequences", "sequence", {}),
    "deny_query_strings": ("denyQueryStringSequences", "sequence", {}),
    "deny_verbs": ("verbs", "verb", {"allowed": "false"}),
    "deny_extensions": ("fileExtensions", "fileExtension", {"allowed": "false"}),
    "deny_headers": ("requestLimits/headerLimits", "header", {"sizeLimit": "0"}),
}
REQUEST_FILTERING = "system.webServer/security/requestFiltering"
SCHANNEL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"
PROTOCOLS = ("Multi-Protocol Unified Hello", "PCT 1.0", "SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.3", "DTLS 1.0")
CIPHERS = (
    "NULL",
    "DES 56/56",
    "RC2 40/128",
    "RC2 56/56",
    "RC2 56/128",
    "RC2 128/128",
    "RC4 40/128",
    "RC4 56/128",
    "RC4 64/128",
    "RC4 128/128",
    "Triple DES 168",
    "AES 128/128",
    "AES 256/256",
)
STOPS = {
    "stop_sites": ("system.applicationHost/sites", "site", "serverAutoStart"),
    "stop_app_pools": ("system.applicationHost/applicationPools", "add", "autoStart"),
}
MITIGATION_KEYS = ("id", "reason", *KINDS, "disable_protocols", "disable_ciphers", *STOPS)
ROLLBACK_METHODS = ("auto", "entries", "restore")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _identify(item: dict[str, Any], where: str) -> str:
    ident = str(item.get("id", "")).lower()
    if not _ID.match(ident):
        raise ValueError(f"{where}: 'id' must be lowercase letters, digits and dashes, not {item.get('id')!r}")
    if not item.get("reason"):
        raise ValueError(f"{where}: 'reason' is required (why the rule is pushed)")
    return ident


def _strings(item: dict[str, Any], key: str, where: str) -> list[str]:
    values = item.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{where}: {key} must be a list of non-empty strings")
    if len({v.casefold() for v in values}) != len(values):
        raise ValueError(f"{where}: {key} names a value twice")
    return list(values)


def _rule(ident: str, suffix: str, title: str, check: dict[str, Any], remediation: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    return {
        "id": f"emergency-{ident}-{suffix}",
        "title": f"Emergency ({ident}): {title}",
        "severity": "high",
        "scope": "server",
        "references": {"emergency": [ident]},
        "check": check,
        "remediation": remediation,
        "tags": [*tags, "emergency"],
    }


def _request_filtering(ident: str, item: dict[str, Any], where: str, state: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for kind, (element, key, extra) in KINDS.items():
        values = _strings(item, kind, where)
        for number, value in enumerate(values, start=1):
            if kind in ("deny_headers", "deny_verbs") and not _TOKEN.match(value):
                raise ValueError(f"{where}: {kind}: {value!r} is not an HTTP {'header name' if kind == 'deny_headers' else 'method'}")
            entry = {key: value, **extra}
            check: dict[str, Any] = {"section": REQUEST_FILTERING, "element": element}
            if state == "present":
                check["contains"] = [entry]
                remediation = {"config_collection": {"add": [entry]}}
            else:
                check["absent"] = [{key: value}]
                remediation = {"config_collection": {"remove": [{key: value}]}}
            words = f"{kind.replace('_', ' ')} {value!r} {'denied' if state == 'present' else 'no longer denied'}"
            rules.append(_rule(ident, f"{kind.replace('_', '-')}-{number}", words, {"config_collection": check}, remediation, ["urlscan"]))
    return rules


def emergency_rules(items: Any) -> list[dict[str, Any]]:
    """Catalog rules (as data) for a list of emergency deny rules; errors name the item and key."""
    if not isinstance(items, list):
        raise ValueError(f"urlscan_emergency_rules must be a list, not {type(items).__name__}")
    rules: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"urlscan_emergency_rules[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a mapping")
        unknown = set(item) - {"id", "reason", "state", *KINDS}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: id, reason, state, {', '.join(KINDS)})")
        ident = _identify(item, where)
        state = str(item.get("state", "present"))
        if state not in ("present", "absent"):
            raise ValueError(f"{where}: state must be present or absent, not {state!r}")
        if not any(item.get(kind) for kind in KINDS):
            raise ValueError(f"{where}: give at least one of {', '.join(KINDS)}")
        rules.extend(_request_filtering(ident, item, where, state))
    return rules


def _predicate(name: str, where: str) -> str:
    if "'" in name and '"' in name:
        raise ValueError(f"{where}: {name!r} holds both kinds of quote; IIS names it cannot be matched safely")
    return f'[@name="{name}"]' if "'" in name else f"[@name='{name}']"


def mitigation_rules(mitigation: Any, where: str = "emergency_mitigation") -> list[dict[str, Any]]:
    """Catalog rules (as data) for one mitigation: request filtering, SCHANNEL, stopped sites and pools."""
    if not isinstance(mitigation, dict):
        raise ValueError(f"{where} must be a mapping (id, reason and what to change), not {type(mitigation).__name__}")
    unknown = set(mitigation) - set(MITIGATION_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(MITIGATION_KEYS)})")
    ident = _identify(mitigation, where)
    changes = [k for k in MITIGATION_KEYS[2:] if mitigation.get(k)]
    if not changes:
        raise ValueError(f"{where}: give at least one of {', '.join(MITIGATION_KEYS[2:])}")
    rules = _request_filtering(ident, mitigation, where, "present")

    protocols = _strings(mitigation, "disable_protocols", where)
    for number, protocol in enumerate(protocols, start=1):
        if protocol.casefold() == "tls 1.2":
            raise ValueError(f"{where}: disable_protocols: TLS 1.2 is refused: WinRM over HTTPS, the management connection, needs it")
        known = next((p for p in PROTOCOLS if p.casefold() == protocol.casefold()), None)
        if known is None:
            raise ValueError(f"{where}: disable_protocols: unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
        path = f"{SCHANNEL}\\Protocols\\{known}\\Server"
        for suffix, name, value in (("enabled", "Enabled", 0), ("disabled-by-default", "DisabledByDefault", 1)):
            rules.append(
                _rule(
                    ident,
                    f"disable-protocols-{number}-{suffix}",
                    f"{known} is disabled for the server ({name} = {value})",
                    {"registry": {"path": path, "name": name, "expect": {"equals": value}}},
                    {"registry": {"value": value, "type": "dword"}},
                    ["tls"],
                )
            )

    ciphers = _strings(mitigation, "disable_ciphers", where)
    resolved = []
    for cipher in ciphers:
        known = next((c for c in CIPHERS if c.casefold() == cipher.casefold()), None)
        if known is None:
            raise ValueError(f"{where}: disable_ciphers: unknown cipher {cipher!r} (known: {', '.join(CIPHERS)})")
        resolved.append(known)
    if {"AES 128/128", "AES 256/256"} <= set(resolved):
        raise ValueError(f"{where}: disable_ciphers: disabling both AES ciphers is refused: TLS 1.2, which WinRM over HTTPS needs, would have none left")
    for number, cipher in enumerate(resolved, start=1):
        rules.append(
            _rule(
                ident,
                f"disable-ciphers-{number}",
                f"the {cipher} cipher is disabled (Enabled = 0)",
                {"registry": {"path": f"{SCHANNEL}\\Ciphers\\{cipher}", "name": "Enabled", "expect": {"equals": 0}}},
                {"registry": {"value": 0, "type": "dword"}},
                ["tls"],
            )
        )

    for kind, (section, item, attribute) in STOPS.items():
        for number, name in enumerate(_strings(mitigation, kind, where), start=1):
            what = "site" if kind == "stop_sites" else "application pool"
            rules.append(
                _rule(
                    ident,
                    f"{kind.replace('_', '-')}-{number}",
                    f"the {what} {name!r} does not start ({attribute} = false)",
                    {
                        "config": {
                            "section": section,
                            "element": item + _predicate(name, f"{where}: {kind}"),
                            "attribute": attribute,
                            "expect": {"equals": "false"},
                        }
                    },
                    {"config": {"value": "false"}},
                    ["sites"],
                )
            )
    return rules


def _record_part(record: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = record.get(key)
    if not isinstance(value, kind):
        raise ValueError(f"{where}: '{key}' must be a {kind.__name__}")
    return value


def reversal_rules(record: Any, where: str = "record") -> list[dict[str, Any]]:
    """Rules that take back exactly what one application of a mitigation changed on one host.

    ``record`` is the host's record written by the mitigation: ``mitigation``, ``changed_rules``
    (the rules that turned from fail to pass, i.e. the entries and values the mitigation added)
    and ``plan.registry`` (each value written, with the value before). Entries a host already had
    are not in ``changed_rules`` and are left alone; a registry value is put back only while it
    still holds the mitigation's value (compare and swap), and deleted when it did not exist.
    """
    if not isinstance(record, dict):
        raise ValueError(f"{where} must be a mapping")
    mitigation = _record_part(record, "mitigation", dict, where)
    ident = _identify(mitigation, f"{where}: mitigation")
    made = {rule["id"]: rule for rule in mitigation_rules(mitigation, f"{where}: mitigation")}
    rules: list[dict[str, Any]] = []
    for rule_id in _record_part(record, "changed_rules", list, where):
        rule = made.get(str(rule_id))
        if rule is None:
            raise ValueError(f"{where}: changed_rules names {rule_id!r}, which mitigation {ident} does not make")
        suffix = str(rule["id"])[len(f"emergency-{ident}-") :]
        kind, check = next(iter(rule["check"].items()))
        if kind == "config_collection":
            entry = check["contains"][0]
            key = next(iter(entry))
            removal = {key: entry[key]}
            rules.append(
                _rule(
                    ident,
                    f"revert-{suffix}",
                    f"{key} {entry[key]!r} added by the mitigation is removed",
                    {"config_collection": {"section": check["section"], "element": check["element"], "absent": [removal]}},
                    {"config_collection": {"remove": [removal]}},
                    ["revert"],
                )
            )
        elif kind == "config":
            rules.append(
                _rule(
                    ident,
                    f"revert-{suffix}",
                    f"{check['element']} starts again ({check['attribute']} = true)",
                    {"config": {**{k: v for k, v in check.items() if k != "expect"}, "expect": {"not_equals": "false"}}},
                    {"config": {"value": "true"}},
                    ["revert"],
                )
            )
        # registry rules: reverted below from the exact values the plan wrote
    plan = _record_part(record, "plan", dict, where)
    for number, change in enumerate(plan.get("registry") or [], start=1):
        if not isinstance(change, dict) or not {"path", "name", "value"} <= set(change):
            raise ValueError(f"{where}: plan.registry[{number - 1}] must have path, name and value")
        before = change.get("before")
        remediation = {"state": "absent"} if before is None else {"value": before, "type": str(change.get("type") or "dword")}
        rules.append(
            _rule(
                ident,
                f"revert-registry-{number}",
                f"{change['path']}\\{change['name']} is as before the mitigation ({'not set' if before is None else before})",
                {"registry": {"path": change["path"], "name": change["name"], "expect": {"not_equals": change["value"]}}},
                {"registry": remediation},
                ["revert"],
            )
        )
    return rules


def rollback_method(record: Any, current: Any, requested: str = "auto") -> dict[str, Any]:
    """How to take one application of a mitigation back: ``restore``, ``entries`` or ``none``.

    ``restore`` (the backup, byte for byte) is chosen only when nothing else has changed what the
    mitigation wrote since: on a snapshot the tree digest is the one recorded after the
    mitigation; on a live host every file the mitigation wrote still has the SHA-256 it left and
    every registry value still holds the mitigation's value. Otherwise restoring would also undo
    the later changes, so ``entries`` removes exactly the mitigation's entries and values.
    ``current``: ``backup_exists``, and ``tree_sha256`` (snapshot) or ``files`` (path -> SHA-256
    or None, or the results of a ``win_stat`` loop over the record's files) and ``registry`` (a list
    of ``{path, name, exists, value}``, or the results of a ``win_reg_stat`` loop).
    """
    if requested not in ROLLBACK_METHODS:
        raise ValueError(f"emergency_rollback_method must be one of {', '.join(ROLLBACK_METHODS)}, not {requested!r}")
    if not isinstance(record, dict) or not isinstance(current, dict):
        raise ValueError("rollback_method needs the record and the current state as mappings")
    if not record.get("changed") or not record.get("backup"):
        return {"method": "none", "reason": "the mitigation changed nothing on this host"}
    changes = _changes_since(record, current)
    if requested == "entries":
        return {"method": "entries", "reason": "entries asked for (emergency_rollback_method=entries)", "changed_since": changes}
    if not current.get("backup_exists"):
        if requested == "restore":
            raise ValueError(f"backup {record['backup']} is gone (backup retention); use emergency_rollback_method=entries")
        return {"method": "entries", "reason": f"backup {record['backup']} is gone (backup retention)", "changed_since": changes}
    if changes:
        if requested == "restore":
            raise ValueError(f"restoring backup {record['backup']} would also undo what changed since the mitigation: {'; '.join(changes)}")
        return {"method": "entries", "reason": "changed since the mitigation: " + "; ".join(changes), "changed_since": changes}
    return {"method": "restore", "reason": "nothing changed since the mitigation: its backup is put back byte for byte", "changed_since": []}


def _changes_since(record: dict[str, Any], current: dict[str, Any]) -> list[str]:
    if record.get("snapshot"):
        if current.get("tree_sha256") != record.get("tree_sha256_after"):
            return ["the snapshot's tree digest is not the one recorded after the mitigation"]
        return []
    changes = []
    files = current.get("files") or {}
    if isinstance(files, list):  # win_stat results of a loop: item.path, stat.checksum
        files = {str((r.get("item") or {}).get("path")): (r.get("stat") or {}).get("checksum") for r in files if isinstance(r, dict)}
    for change in (record.get("plan") or {}).get("files") or []:
        now = files.get(change["path"])
        if now != change.get("after_sha256"):
            changes.append(f"{change['path']} (SHA-256 {now or 'absent'}, the mitigation left {change.get('after_sha256')})")
    values = {}
    for value in current.get("registry") or []:  # {path, name, exists, value}, or win_reg_stat results of a loop (item.path, item.name)
        where = value.get("item") or value
        values[(str(where.get("path", "")).casefold(), str(where.get("name", "")).casefold())] = value
    for change in (record.get("plan") or {}).get("registry") or []:
        now = values.get((str(change["path"]).casefold(), str(change["name"]).casefold()), {})
        deleted = change.get("value") is None
        if deleted != (not now.get("exists")) or (not deleted and str(now.get("value")) != str(change["value"])):
            changes.append(
                f"{change['path']}\\{change['name']} ({now.get('value') if now.get('exists') else 'not set'}, the mitigation wrote {change['value']})"
            )
    return changes
