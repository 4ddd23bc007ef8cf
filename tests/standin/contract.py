# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module's contract, read from its documentation: the options it takes and the keys it returns.

The stand-in checks every call against it: arguments the documentation does not allow fail
the call as the real module would (Ansible.Basic validates its ``$spec``, which
tools/check_powershell.py keeps equal to the documentation), and every answer the stand-in
gives must hold only documented RETURN keys, with every ``returned: always`` key present.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.plugin_docs import read_docstring
from ansible.plugins.loader import fragment_loader, module_loader
from ansible.utils.plugin_docs import get_docstring

# Keys every module result may carry, whatever its RETURN says (Ansible.Basic and the executor add them).
COMMON_RESULT_KEYS = {"changed", "failed", "msg", "skipped", "invocation", "warnings", "deprecations", "diff", "exception", "rc"}
_TYPES = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict, "float": (int, float), "raw": object, "path": str, "complex": object}


# Where a module's RETURN documentation is narrower than what the module returns, and its own samples say so.
KNOWN_DEVIATIONS = {
    ("ansible.windows.win_reg_stat", "value"): "documented as str; the module returns a DWORD as a number and a REG_MULTI_SZ as a list (its samples)",
    ("ansible.windows.win_reg_stat", "raw_value"): "documented as str; the module returns a list for REG_MULTI_SZ and REG_BINARY (its samples)",
    ("ansible.windows.win_firewall", "profiles"): "documented as str; win_firewall.ps1 returns the profiles option as given (a list)",
    ("ansible.windows.win_firewall", "state"): "documented as list; win_firewall.ps1 returns the state option as given (a string)",
}


class ContractError(AssertionError):
    """A call or an answer that breaks the module's documented contract."""


def _module_file(module: str) -> Path:
    """The documentation file of a module: through Ansible's loader, else in the collection paths (plain pytest)."""
    found = module_loader.find_plugin_with_context(module, mod_type=".py")
    candidates = [Path(found.plugin_resolved_path)] if found.resolved and found.plugin_resolved_path else []
    namespace, collection, name = module.split(".")
    roots = [Path(p) for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p] + [Path(p) for p in sys.path if p]
    candidates += [base / namespace / collection / "plugins" / "modules" / name for root in roots for base in (root / "ansible_collections", root)]
    for candidate in candidates:
        for sidecar in (candidate.with_suffix(".py"), candidate.with_suffix(".yml")):  # ansible.windows: .py; microsoft.iis: .yml
            if sidecar.is_file():
                return sidecar
    raise ContractError(f"{module}: no such module is installed")


@functools.cache
def documentation(module: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(DOCUMENTATION, RETURN) of a module by its full name; a PowerShell module's come from its .py sidecar."""
    path = _module_file(module)
    try:
        doc, _examples, returns, _metadata = get_docstring(str(path), fragment_loader, collection_name=".".join(module.split(".")[:2]))
    except AnsibleError:
        # Outside ansible-playbook (plain pytest) the builtin doc fragments are not loadable; they hold attributes, not options.
        data = read_docstring(str(path))
        doc, returns = data.get("doc"), data.get("returndocs")
    return doc or {}, returns or {}


def documented_no_log(option: dict[str, Any]) -> bool:
    """An option the documentation marks C(no_log) (the rule tools/check_powershell.py holds $spec to)."""
    description = option.get("description") or ""
    return "C(no_log)" in (" ".join(description) if isinstance(description, list) else str(description))


def _spec(options: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    for name, option in (options or {}).items():
        entry: dict[str, Any] = {"type": option.get("type", "str")}
        for key in ("required", "default", "choices", "elements", "aliases"):
            if key in option:
                entry[key] = option[key]
        if documented_no_log(option):
            entry["no_log"] = True
        if option.get("suboptions"):
            entry["options"] = _spec(option["suboptions"])
        spec[name] = entry
    return spec


def validate_arguments(module: str, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments with their documented defaults; ContractError naming every problem."""
    doc, _returns = documentation(module)
    params = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    result = ArgumentSpecValidator(_spec(doc.get("options") or {})).validate(params)
    if result.error_messages:
        raise ContractError(f"{module}: {'; '.join(result.error_messages)}")
    return dict(result.validated_parameters)


def validate_result(module: str, result: dict[str, Any]) -> None:
    """ContractError unless every key is documented and every ``returned: always`` key is there."""
    _doc, returns = documentation(module)
    undocumented = sorted(set(result) - set(returns) - COMMON_RESULT_KEYS)
    if undocumented:
        raise ContractError(f"{module} answered undocumented key(s) {', '.join(undocumented)} (RETURN: {', '.join(sorted(returns))})")
    if result.get("failed") or result.get("skipped"):
        return
    missing = sorted(k for k, v in returns.items() if str(v.get("returned", "")).strip() == "always" and k not in result)
    if missing:
        raise ContractError(f"{module} did not answer {', '.join(missing)}, documented as returned always")
    for key, value in result.items():
        documented = returns.get(key)
        if documented is None or value is None or (module, key) in KNOWN_DEVIATIONS:
            continue
        expected = _TYPES.get(str(documented.get("type", "raw")), object)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ContractError(f"{module}: {key} is {type(value).__name__}, documented as {documented.get('type')}")
