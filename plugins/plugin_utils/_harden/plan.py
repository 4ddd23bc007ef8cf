# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The change plan: every edit that makes a host pass the automated rules, computed on the controller.

The planner evaluates the catalog, and for each failing finding has the rule's check kind
(``plugins/plugin_utils/_checks``) plan its remediation on the planner, where the evidence points: a value set in a web.config or a ``<location>``
is corrected there (so the file that undid a server setting is the one that changes);
a value that is a default, or set server-wide, is set server-wide (applicationHost.config
for IIS sections, the .NET root web.config for ASP.NET sections, machine.config for
sections only it may set). It evaluates again on the planned state and repeats until no
rule it can fix fails. Every file edit is a byte splice (``ConfigEditor``), so the plan
names exactly the nodes it changes; the plan carries each file's SHA-256 before the edit
for the compare-and-swap of the apply.

A web.config IIS cannot read is left alone, and said so (``Plan.skipped_files``): no finding
at or below it is evaluated, so no edit lands in it or beneath it, and the rest of the host
is planned as usual.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import hashlib
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.changes import OverlayFiles
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import UnreadableScopeError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import MARKER, document_text, secret_name
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator, audit_findings
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.base import Evaluation
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import all_hold
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import DISRUPTIVE, IMPACTS, Rule
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding, RuleException, apply_exceptions
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState

NEW_FILE = b'<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n</configuration>\n'
MAX_ROUNDS = 4


def sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


@dataclass(frozen=True)
class FileChange:
    path: str
    before_sha256: str | None
    """None when the file does not exist yet."""
    after: bytes

    def diff(self, before: bytes | None, *, show_secrets: bool = False) -> str:
        """The unified diff of the edit; secrets in both versions, context lines too, are redacted unless ``show_secrets``."""
        old = document_text(before, self.path, show_secrets=show_secrets).splitlines(keepends=True)
        new = document_text(self.after, self.path, show_secrets=show_secrets).splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}"))


def shown_registry_value(name: str, value: Any, *, show_secrets: bool = False) -> Any:
    """A registry value as a plan or a diff shows it: the marker for a value whose name says it is a secret (``DefaultPassword``)."""
    if show_secrets or value is None or not secret_name(name):
        return value
    return MARKER


@dataclass(frozen=True)
class RegistryChange:
    path: str
    name: str
    value: Any
    """The value to write, or None to delete the value (a remediation with ``state: absent``)."""
    type: str
    before: Any
    """The value before, or None when it was not set."""
    rule: str = ""

    @property
    def delete(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class FeatureChange:
    name: str
    state: str
    before: str | None
    rule: str = ""


@dataclass(frozen=True)
class SkippedFile:
    """A file the plan leaves alone, and why."""

    path: str
    line: int | None
    reason: str

    @classmethod
    def unreadable(cls, error: UnreadableScopeError) -> SkippedFile:
        where = f"{error.file}:{error.line}" if error.line is not None else error.file
        return cls(
            error.web_config,
            error.line,
            f"IIS cannot read it ({where}: {error.cause}) and answers HTTP 500.19 for URLs under {error.scope}; "
            f"nothing in it or below {error.scope} is changed until a person corrects it",
        )

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "reason": self.reason}


class ManagementSafetyError(HardenedIisError, ValueError):
    """The plan would cut the management connection (WinRM, the firewall, TLS 1.2)."""


PROTECTED_KEYS = (
    "HKLM\\SOFTWARE\\MICROSOFT\\WINDOWS\\CURRENTVERSION\\WSMAN",
    "HKLM\\SOFTWARE\\POLICIES\\MICROSOFT\\WINDOWS\\WINRM",
    "HKLM\\SYSTEM\\CURRENTCONTROLSET\\SERVICES\\WINRM",
    "HKLM\\SYSTEM\\CURRENTCONTROLSET\\SERVICES\\SHAREDACCESS\\PARAMETERS\\FIREWALLPOLICY",
    "HKLM\\SOFTWARE\\POLICIES\\MICROSOFT\\WINDOWSFIREWALL",
)
PROTECTED_FEATURES = ("WinRM-IIS-Ext", "PowerShell", "PowerShell-V2", "NET-Framework-45-Core", "NET-Framework-45-Features")
TLS12 = "\\SCHANNEL\\PROTOCOLS\\TLS 1.2\\"


def check_management_safety(plan: Plan) -> None:
    """Refuse a plan that would cut the connection the collection manages the host through."""
    for change in plan.registry:
        key = change.path.upper()
        if key.startswith(PROTECTED_KEYS):
            raise ManagementSafetyError(
                f"rule {change.rule} would change {change.path}\\{change.name}, which the management connection (WinRM, firewall) depends on"
            )
        disabling = (change.name.casefold() == "enabled" and str(change.value) == "0") or (
            change.name.casefold() == "disabledbydefault" and str(change.value) == "1"
        )
        if TLS12 in key + "\\" and disabling:
            raise ManagementSafetyError(
                f"rule {change.rule} would disable TLS 1.2 ({change.path}\\{change.name} = {change.value}), which WinRM over HTTPS needs"
            )
    for feature in plan.features:
        if feature.state == "absent" and feature.name.casefold() in {f.casefold() for f in PROTECTED_FEATURES}:
            raise ManagementSafetyError(f"rule {feature.rule} would remove the Windows feature {feature.name}, which remote management needs")


@dataclass(frozen=True)
class HeldBack:
    """A failing finding whose remediation can break a running application, left to a person: why, and how to opt in."""

    rule: str
    scope: str
    reason: str

    @property
    def advice(self) -> str:
        return f"harden left this alone: {self.reason}; a person fixes it, or the organisation opts in with hardened_iis_allow_disruptive: [{self.rule}]"

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "scope": self.scope, "reason": self.reason}


@dataclass(frozen=True)
class Fix:
    """One rule's remediation at one scope that the plan makes, with its impact class."""

    rule: str
    scope: str
    impact: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "scope": self.scope, "impact": self.impact}


@dataclass
class Plan:
    host: str
    files: list[FileChange] = field(default_factory=list)
    registry: list[RegistryChange] = field(default_factory=list)
    features: list[FeatureChange] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    """Rules whose findings the plan turns from fail to pass."""
    before: list[Finding] = field(default_factory=list)
    """The findings on the host as it is (exceptions applied)."""
    expected: list[Finding] = field(default_factory=list)
    """The findings on the host as the plan would leave it (exceptions applied)."""
    skipped_files: list[SkippedFile] = field(default_factory=list)
    """Files left alone: web.configs IIS cannot read."""
    held_back: list[HeldBack] = field(default_factory=list)
    """Disruptive remediations not planned: their precondition fails and nobody opted in."""
    fixes: list[Fix] = field(default_factory=list)
    """The remediations the plan makes, most disruptive first (``breaks-if-in-use``, ``restart``, ``none``)."""

    @property
    def left_alone(self) -> frozenset[str]:
        """The skipped files' paths, folded as Windows compares them."""
        return frozenset(normalize(f.path).casefold() for f in self.skipped_files)

    @property
    def remaining(self) -> list[Finding]:
        """Failing findings the plan cannot fix (manual remediation, or a remediation that does not take effect)."""
        return [f for f in self.expected if f.status == "fail"]

    @property
    def empty(self) -> bool:
        return not (self.files or self.registry or self.features)

    def as_dict(self, originals: dict[str, bytes | None], *, show_secrets: bool = False) -> dict[str, Any]:
        """The plan as the harden action returns it; secrets in diffs and registry values are redacted unless ``show_secrets``."""
        return {
            "host": self.host,
            "files": [
                {
                    "path": f.path,
                    "before_sha256": f.before_sha256,
                    "after_sha256": sha256(f.after),
                    "diff": f.diff(originals.get(f.path), show_secrets=show_secrets),
                }
                for f in self.files
            ],
            "registry": [
                {
                    "path": r.path,
                    "name": r.name,
                    "value": shown_registry_value(r.name, r.value, show_secrets=show_secrets),
                    "type": r.type,
                    "before": shown_registry_value(r.name, r.before, show_secrets=show_secrets),
                }
                for r in self.registry
            ],
            "features": [{"name": f.name, "state": f.state, "before": f.before} for f in self.features],
            "rules": self.rules,
            "fixes": [f.as_dict() for f in self.fixes],
            "held_back": [h.as_dict() for h in self.held_back],
            "remaining": [f"{f.rule_id} @ {f.scope}" for f in self.remaining],
        }


class _Working:
    """The host as the plan would leave it."""

    def __init__(self, state: HostState) -> None:
        self.original = state
        self.files: dict[str, bytes] = {}
        self.registry: dict[tuple[str, str], tuple[Any, str]] = {}
        self.features: dict[str, str] = {}

    def read(self, path: str) -> bytes | None:
        key = normalize(path).casefold()
        if key in self.files:
            return self.files[key]
        return self.original.files.read(path)

    def state(self) -> HostState:
        registry = {k: dict(v) for k, v in self.original.registry.items()}
        for (path, name), (value, _type) in self.registry.items():
            key = next((k for k in registry if k.casefold() == path.casefold()), path)
            values = registry.setdefault(key, {})
            for existing in [n for n in values if n.casefold() == name.casefold()]:
                del values[existing]
            if value is not None:
                values[name] = value
        features = dict(self.original.features)
        features.update(self.features)
        return dataclasses.replace(
            self.original,
            files=OverlayFiles(self.original.files, dict(self.files)),
            registry=registry,
            features=features,
            _configuration=None,
        )


class Planner:
    """The plan of one host; each check kind makes its edits through it (the ``Workbench`` of ``_checks/base.py``)."""

    def __init__(
        self,
        state: HostState,
        rules: tuple[Rule, ...],
        overrides: dict[str, dict[str, Any]] | None = None,
        exceptions: list[RuleException] | None = None,
        today: datetime.date | None = None,
        *,
        allow_disruptive: frozenset[str] = frozenset(),
    ) -> None:
        self.state = state
        self.allow_disruptive = allow_disruptive
        """Rules whose ``breaks-if-in-use`` remediation the organisation lets harden make wherever it fails."""
        self.held: dict[tuple[str, str], HeldBack] = {}
        self.made: dict[tuple[str, str], str] = {}
        """The rule and scope of each remediation that changed the plan, with its impact."""
        self.exceptions = exceptions or []
        self.today = today or datetime.date.today()
        self.rules = {r.id: r for r in rules}
        self.overrides = overrides or {}
        self.working = _Working(state)
        self.origin: dict[tuple[str, str], str] = {}
        """The rule behind each registry value and feature change."""
        self.paths: dict[str, str] = {}
        """Original spelling of each edited file's path, by folded path."""

    def plan(self) -> Plan:
        rules = tuple(self.rules.values())
        before = audit_findings(self.state, rules, self.overrides, self.exceptions, self.today)
        failing_before = {(f.rule_id, f.scope) for f in before if f.status == "fail"}
        findings = before
        for _round in range(MAX_ROUNDS):
            apply_exceptions(findings, self.exceptions, self.today)
            fixable = [f for f in findings if f.status == "fail" and self.rules[f.rule_id].automated_remediation]
            progress = False
            for finding in fixable:  # every remediation runs; one that changes nothing does not stop the rest
                progress = self._remediate(finding) or progress
            if not progress:
                break
            findings = Evaluator(self.working.state(), self.overrides).evaluate(rules)
        apply_exceptions(findings, self.exceptions, self.today)
        failing_after = {(f.rule_id, f.scope) for f in findings if f.status == "fail"}
        skipped = [SkippedFile.unreadable(error) for error in self.state.configuration.unreadable_web_configs()]
        held = [h for h in self.held.values() if (h.rule, h.scope) in failing_after]
        for finding in findings:
            advice = next((h.advice for h in held if (h.rule, h.scope) == (finding.rule_id, finding.scope)), None)
            if advice is not None:
                finding.remediation = f"{advice}. {finding.remediation}"
        order = {impact: number for number, impact in enumerate(reversed(IMPACTS))}
        fixes = sorted((Fix(rule, scope, impact) for (rule, scope), impact in self.made.items()), key=lambda f: order[f.impact])
        plan = Plan(host=self.state.name, before=before, expected=findings, skipped_files=skipped, held_back=held, fixes=fixes)
        for key, data in sorted(self.working.files.items()):
            original = self.state.files.read(self.paths[key])
            if original != data:
                plan.files.append(FileChange(self.paths[key], sha256(original), data))
        for (path, name), (value, kind) in sorted(self.working.registry.items()):
            present, old = self.state.registry_value(path, name)
            if (value is None and present) or (value is not None and (not present or str(old) != str(value))):
                plan.registry.append(RegistryChange(path, name, value, kind, old if present else None, self.origin.get((path, name), "")))
        for name, wanted in sorted(self.working.features.items()):
            if self.state.feature(name) != wanted:
                plan.features.append(FeatureChange(name, wanted, self.state.feature(name), self.origin.get(("feature", name), "")))
        plan.rules = sorted({rule for rule, scope in failing_before - failing_after})
        check_management_safety(plan)
        return plan

    # -- remediation: the check kind of the failing rule plans its fix on this workbench ---------
    def _remediate(self, finding: Finding) -> bool:
        rule = self.rules[finding.rule_id]
        remediation, fields = next(iter(rule.remediation.items()))
        kind = kind_of(rule.check.kind)
        if remediation != kind.fix:
            return False
        reason = self._unsafe(rule, finding)
        if reason is not None:
            self.hold_back(rule.id, finding.scope, reason)
            return False
        changed = kind.plan(self, rule, finding, fields, rule.params_with(self.overrides))
        if changed:
            self.made.setdefault((rule.id, finding.scope), str(rule.impact))
        return changed

    def _unsafe(self, rule: Rule, finding: Finding) -> str | None:
        """Why a ``breaks-if-in-use`` remediation may not be made at the finding's scope (None: it may).

        ``pool`` conditions are tested pool by pool by the ``app_pools`` kind itself (``opted_in``).
        """
        if not rule.disruptive or rule.id in self.allow_disruptive:
            return None
        if not rule.precondition:
            return f"its impact is {DISRUPTIVE} and nothing on the host shows it is safe (it needs an explicit opt-in)"
        general = tuple(c for c in rule.precondition if c.kind != "pool")
        if not general:
            return None
        outcome = all_hold(general, self._evaluation(rule, finding.scope))
        if outcome.holds:
            return None
        return f"its impact is {DISRUPTIVE} and its precondition does not hold: {outcome.found}"

    def _evaluation(self, rule: Rule, scope: str) -> Evaluation:
        """The rule at a finding's scope of the host as it is (``server``, a site, or a site and URL path)."""
        kind = kind_of(rule.check.kind)
        params = rule.params_with(self.overrides)
        if rule.scope != "server" and not kind.host_wide:
            name, _slash, rest = scope.partition("/")
            site = next((s for s in self.state.configuration.sites if s.name.casefold() == name.casefold()), None)
            if site is not None:
                return Evaluation(self.state, rule, kind, params, scope, site, "/" + rest if rest else "/")
        return Evaluation(self.state, rule, kind, params, scope)

    def opted_in(self, rule: str) -> bool:
        return rule in self.allow_disruptive

    def hold_back(self, rule: str, scope: str, reason: str) -> None:
        self.held.setdefault((rule, scope), HeldBack(rule, scope, reason))

    def planned_state(self) -> HostState:
        return self.working.state()

    def edit(self, path: str) -> ConfigEditor:
        data = self.working.read(path)
        return ConfigEditor(data if data is not None else NEW_FILE, path, schema=self.state.configuration.schema)

    def store(self, path: str, editor: ConfigEditor) -> None:
        key = normalize(path).casefold()
        self.paths.setdefault(key, path)
        self.working.files[key] = editor.content()

    def set_registry(self, path: str, name: str, value: Any, value_type: str, rule: str) -> bool:
        key = (path, name)
        if key in self.working.registry and self.working.registry[key][0] == value:
            return False
        self.working.registry[key] = (value, value_type)
        self.origin[key] = rule
        return True

    def set_feature(self, name: str, state: str, rule: str) -> bool:
        if self.working.features.get(name) == state:
            return False
        self.working.features[name] = state
        self.origin[("feature", name)] = rule
        return True


def plan_host(
    state: HostState,
    rules: tuple[Rule, ...],
    overrides: dict[str, dict[str, Any]] | None = None,
    exceptions: list[RuleException] | None = None,
    today: datetime.date | None = None,
    *,
    allow_disruptive: frozenset[str] = frozenset(),
) -> Plan:
    """The plan that makes ``state`` pass every automated rule it can (excepted findings are left alone); a
    ``breaks-if-in-use`` remediation only where its precondition holds or ``allow_disruptive`` names its rule."""
    return Planner(state, rules, overrides, exceptions, today, allow_disruptive=allow_disruptive).plan()
