# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``config_collection`` check: an effective collection (handlers, verbs, headers…) at the scope.

One test per check: ``contains`` (entries that must be there), ``absent`` (entries that must
not), ``every`` (an expectation every entry meets) or ``expect_count`` (on the number of
entries). Remediation ``config_collection: {add, remove}`` adds and removes entries where the
evidence says the collection is set, else server-wide.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveConfig, EffectiveElement, EffectiveEntry, Provenance
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import EditError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import APPHOST_CONFIG, expand, normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation, substitute
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding

from .base import Evaluation, Workbench, from_provenance, secret_shown, with_redaction
from .config import SectionCheck, element_path, section_target, site_of, write_target

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule

TESTS = ("contains", "absent", "every", "expect_count")


def _entry_matches(entry: EffectiveEntry, wanted: dict[str, Any]) -> bool:
    return all((entry.element.value(str(k)) or "").casefold() == str(v).casefold() for k, v in wanted.items())


def _substitute_entry(entry: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): substitute(v, params) for k, v in entry.items()}


def _format_entry(wanted: dict[str, Any]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in wanted.items())


def _collection_provenance(collection: EffectiveElement) -> Provenance | None:
    if collection.entries:
        return collection.entries[-1].provenance
    return collection.cleared_at


class ConfigCollectionCheck(SectionCheck):
    """``config_collection: {section, element?, contains | absent | every | expect_count}``."""

    name = "config_collection"
    required = ("section",)
    fix = "config_collection"

    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        expect = super().parse(spec, where)
        tests = [t for t in TESTS if t in spec]
        if len(tests) != 1:
            raise CatalogError(f"{where}: check 'config_collection' needs exactly one of {', '.join(TESTS)}")
        if "every" in spec:
            every = spec["every"]
            if not isinstance(every, dict) or "attribute" not in every or "expect" not in every:
                raise CatalogError(f"{where}: 'every' needs 'attribute' and 'expect'")
            if not isinstance(every.get("nested", False), bool):
                raise CatalogError(f"{where}: 'every.nested' is true or false")
            Expectation.parse(every["expect"], f"{where}.every")
        if "expect_count" in spec:
            Expectation.parse(spec["expect_count"], f"{where}.expect_count")
        for test in ("contains", "absent"):
            entries = spec.get(test)
            if entries is not None and not (isinstance(entries, list) and all(isinstance(e, dict) and e for e in entries)):
                raise CatalogError(f"{where}: {test!r} must be a list of entries (mappings of attributes)")
        return expect

    def summary(self, spec: dict[str, Any]) -> str:
        return f"`{section_target(spec)}[]`"

    # -- the audit ---------------------------------------------------------------------------
    def evaluate_in(self, at: Evaluation, effective: EffectiveConfig) -> Finding:
        spec = at.spec
        collection = effective.section(str(spec["section"])).element(element_path(spec, at.site_name))
        if "contains" in spec:
            return self._contains(at, collection)
        if "absent" in spec:
            return self._absent(at, collection)
        if "every" in spec:
            return self._every(at, collection)
        return self._count(at, collection)

    @staticmethod
    def _contains(at: Evaluation, collection: EffectiveElement) -> Finding:
        required = [_substitute_entry(e, at.params) for e in at.spec["contains"]]
        missing = [w for w in required if not any(_entry_matches(entry, w) for entry in collection.entries)]
        expected = "contains " + "; ".join(_format_entry(w) for w in required)
        actual = "missing " + "; ".join(_format_entry(w) for w in missing) if missing else "all present"
        return at.finding("fail" if missing else "pass", from_provenance(_collection_provenance(collection), actual, expected))

    @staticmethod
    def _absent(at: Evaluation, collection: EffectiveElement) -> Finding:
        unwanted = [_substitute_entry(e, at.params) for e in at.spec["absent"]]
        present = [(w, entry) for w in unwanted for entry in collection.entries if _entry_matches(entry, w)]
        expected = "no entry " + "; ".join(_format_entry(w) for w in unwanted)
        if present:
            found, entry = present[0]
            return at.finding("fail", from_provenance(entry.provenance, f"present: {_format_entry(found)}", expected))
        return at.finding("pass", from_provenance(_collection_provenance(collection), "none present", expected))

    @staticmethod
    def _every(at: Evaluation, collection: EffectiveElement) -> Finding:
        every = at.spec["every"]
        expectation = Expectation.parse(every["expect"], at.rule.id)
        offending = []
        # nested: the entries of each entry's own collection (every virtual directory of every application of a site).
        entries = [inner for outer in collection.entries for inner in outer.element.entries] if every.get("nested") else collection.entries
        for entry in entries:
            value = entry.element.element(str(every.get("element", ""))).value(str(every["attribute"]))
            if not expectation.holds(value, at.params, at.state.system_drive):
                offending.append((entry, value))
        expected = f"every entry: {every['attribute']} {expectation.describe(at.params)}"
        if offending:
            first, first_value = offending[0]
            names = ", ".join("/".join(e.key) for e, _value in offending)
            evidence = from_provenance(first.provenance, f"{names}: {first_value!r}", expected)
            shown = secret_shown(str(every["attribute"]), first_value, first.element)
            return at.finding("fail", with_redaction(evidence, f"{names}: {shown!r}"))
        return at.finding("pass", from_provenance(_collection_provenance(collection), f"{len(entries)} entries comply", expected))

    @staticmethod
    def _count(at: Evaluation, collection: EffectiveElement) -> Finding:
        expectation = Expectation.parse(at.spec["expect_count"], at.rule.id)
        count = str(len(collection.entries))
        evidence = from_provenance(_collection_provenance(collection), count, f"entry count {expectation.describe(at.params)}")
        return at.finding(at.verdict(expectation, count), evidence)

    # -- the fix -----------------------------------------------------------------------------
    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        actions = [f"add {e}" for e in fields.get("add", [])] + [f"remove {e}" for e in fields.get("remove", [])]
        return f"{section_target(rule.check.spec)}: {'; '.join(actions) or 'adjust entries'} at {scope}"

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        """Add and remove the entries where the collection is set; an entry inherited from applicationHost.config is removed there."""
        spec = rule.check.spec
        section = str(spec["section"])
        path, location = write_target(bench.state.environment, section, finding.evidence)
        element = element_path(spec, site_of(finding))
        editor = bench.edit(path)
        changed = False
        try:
            for entry in fields.get("add") or []:
                attributes = {str(k): str(substitute(v, params)) for k, v in entry.items()}
                changed |= editor.add_entry(section, attributes, element=element, location=location).changed
            for entry in fields.get("remove") or []:
                key = {str(k): str(substitute(v, params)) for k, v in entry.items()}
                local = editor.remove_entry(section, key, element=element, location=location)
                changed |= local.changed
                if not local.changed and path.casefold() == normalize(expand(APPHOST_CONFIG, bench.state.environment)).casefold():
                    changed |= editor.remove_entry(section, key, element=element, location=location, inherited=True).changed
        except EditError:
            return False
        if changed:
            bench.store(path, editor)
        return changed
