# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.integrity: capture, verify and rebaseline file integrity.

The host is read by one call of hardened.iis.win_integrity_capture (PowerShell, Windows) or
hardened.iis.integrity_capture (Python, elsewhere); storing, signing and comparing happen here, on the controller.
"""

from __future__ import annotations

import datetime
import getpass
import random
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._integrity.compare import Comparison, parse_policy
from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import ALGORITHMS, Manifest, ManifestError, encode_rows
from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import score_summary
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._integrity.report import changes_as_dicts, summary_lines, verify_findings
from ansible_collections.hardened.iis.plugins.plugin_utils._integrity.store import Baseline, BaselineError, BaselineStore, Ed25519Signer, HmacSigner, Signer

ARGUMENT_SPEC: dict[str, Any] = {
    "action": {"type": "str", "required": True, "choices": ["capture", "verify", "rebaseline"]},
    "roots": {"type": "list", "elements": "str", "required": True},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "algorithm": {"type": "str", "choices": list(ALGORITHMS), "default": "sha256"},
    "store": {"type": "path", "required": True},
    "keep": {"type": "int", "default": 10},
    "signing_key": {"type": "path"},
    "signing_key_content": {"type": "str", "no_log": True},
    "signing_key_passphrase": {"type": "str", "no_log": True},
    "verify_key": {"type": "path"},
    "hmac_key": {"type": "str", "no_log": True},
    "policy": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"glob": {"type": "str", "required": True}, "action": {"type": "str", "required": True, "choices": ["fail", "warn"]}},
    },
    "reason": {"type": "str"},
    "change": {"type": "str"},
    "approved_by": {"type": "str"},
    "incremental": {"type": "bool", "default": False},
    "full_every": {"type": "int", "default": 10},
    "fail_on_change": {"type": "bool", "default": True},
    "capture": {"type": "dict"},
}


def signer_of(args: dict[str, Any], needs_private: bool) -> Signer:
    """The configured signer: an Ed25519 key (file or vaulted content) or an HMAC key, exactly one."""
    ed25519 = bool(args["signing_key"] or args["signing_key_content"] or args["verify_key"])
    if ed25519 == bool(args["hmac_key"]):
        raise BaselineError("give either an Ed25519 key (signing_key, signing_key_content or verify_key) or hmac_key, exactly one")
    if args["hmac_key"]:
        return HmacSigner(str(args["hmac_key"]).encode())
    private: bytes | None = None
    if args["signing_key_content"]:
        private = str(args["signing_key_content"]).encode()
    elif args["signing_key"]:
        try:
            private = Path(args["signing_key"]).read_bytes()
        except OSError as exc:
            raise BaselineError(f"signing_key {args['signing_key']}: cannot be read ({exc.strerror})") from None
    public: bytes | None = None
    if private is None:
        if needs_private:
            raise BaselineError("storing a baseline needs the private key (signing_key or signing_key_content); verify_key only verifies")
        try:
            public = Path(args["verify_key"]).read_bytes()
        except OSError as exc:
            raise BaselineError(f"verify_key {args['verify_key']}: cannot be read ({exc.strerror})") from None
    return Ed25519Signer.from_pem(private, public, args["signing_key_passphrase"], "signing_key" if private else "verify_key")


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"integrity {args['action']} of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        result["remote_calls"] = 0
        action = args["action"]
        if action == "rebaseline" and not (args["reason"] or "").strip():
            raise BaselineError("rebaseline needs 'reason': why the files changed and who approved it")
        policy = parse_policy(args["policy"])
        store = BaselineStore(args["store"], host, signer_of(args, needs_private=action != "verify"), args["keep"])
        baseline = store.load()
        if action == "verify" and baseline is None:
            raise BaselineError(f"{store.folder}: no baseline for {host}; run the capture first")
        current = self._capture(args, task_vars, host, baseline, store, result)
        comparison = Comparison(baseline.manifest, current, policy) if baseline is not None else None
        result["entries"] = len(current.entries)
        if comparison is not None and baseline is not None:
            result.update(
                baseline=baseline.summary(),
                changes=changes_as_dicts(comparison),
                counts=comparison.counts(),
                summary=summary_lines(host, comparison, baseline.version),
            )
        if action == "verify":
            return self._verify(result, host, comparison, baseline, args)
        return self._store(result, action, host, store, baseline, comparison, current, args)

    def _capture(
        self, args: dict[str, Any], task_vars: dict[str, Any], host: str, baseline: Baseline | None, store: BaselineStore, result: dict[str, Any]
    ) -> Manifest:
        """A fresh manifest of the host: one call of integrity_capture (or the given result)."""
        captured = args["capture"]
        if captured is None:
            module_args: dict[str, Any] = {"roots": args["roots"], "exclude": args["exclude"], "algorithm": args["algorithm"]}
            if args["incremental"] and baseline is not None and not self._full_run(args["full_every"]):
                module_args["previous"] = encode_rows(baseline.manifest.previous())
                result["incremental"] = True
            captured = dict(self._execute_module(module_name=self._capture_module(), module_args=module_args, task_vars=task_vars))
            result["remote_calls"] = 1
            if captured.get("failed"):
                raise ManifestError(f"capture failed on the host: {captured.get('msg', 'no message')}")
        result.update(unreadable=captured.get("unreadable", []), unreadable_count=captured.get("unreadable_count", 0), stats=captured.get("stats", {}))
        return Manifest.from_capture(captured, f"{host} capture")

    def _capture_module(self) -> str:
        """The capture module for the host: PowerShell on Windows, Python elsewhere."""
        windows = getattr(self._connection._shell, "SHELL_FAMILY", "") == "powershell"
        return "hardened.iis.win_integrity_capture" if windows else "hardened.iis.integrity_capture"

    @staticmethod
    def _full_run(every: int) -> bool:
        """Whether this incremental run re-hashes everything: one run in ``every``, drawn at random so nobody can time a change around it."""
        return every <= 1 or random.randrange(every) == 0  # noqa: S311 - a schedule, not a secret

    def _verify(self, result: dict[str, Any], host: str, comparison: Comparison | None, baseline: Baseline | None, args: dict[str, Any]) -> dict[str, Any]:
        if comparison is None or baseline is None:
            raise BaselineError("verify needs a baseline")  # run() returns earlier when there is none
        findings = verify_findings(host, comparison, str(baseline.path))
        result.update(changed=False, findings=[f.as_dict() for f in findings], score=score_summary(findings))
        if comparison.failing and args["fail_on_change"]:
            result.update(failed=True, msg=f"{host}: {len(comparison.failing)} change(s) since baseline v{baseline.version} under a fail policy")
        return result

    def _store(
        self,
        result: dict[str, Any],
        action: str,
        host: str,
        store: BaselineStore,
        baseline: Baseline | None,
        comparison: Comparison | None,
        current: Manifest,
        args: dict[str, Any],
    ) -> dict[str, Any]:
        if comparison is not None and not comparison.changes:
            result.update(changed=False, msg=f"{host} matches its baseline v{baseline.version if baseline else 0}; nothing stored")
            return result
        if action == "capture" and baseline is not None:
            result.update(
                failed=True,
                msg=f"{host} differs from its baseline v{baseline.version} ({len(comparison.changes) if comparison else 0} changes); "
                "verify it, then rebaseline with a reason if the changes were approved",
            )
            return result
        metadata = {
            "action": action,
            "approved_by": args["approved_by"] or getpass.getuser(),
            "reason": args["reason"] or "first baseline",
            "change": args["change"],
            "previous_version": baseline.version if baseline else None,
            "counts": comparison.counts() if comparison else None,
        }
        result["changed"] = True
        if self._task.check_mode:
            result.update(would_store={"version": (store.versions() or [0])[-1] + 1, "entries": len(current.entries), **metadata})
            return result
        saved = store.save(current, metadata, datetime.datetime.now(datetime.UTC))
        result["stored"] = saved.summary()
        return result
