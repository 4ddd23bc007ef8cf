# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Validate a plan's result before anything is written: the same checks the apply runs after writing.

:func:`validate_state` is what an apply runs on the host as written (every file parsed again,
every site, application and web.config folder resolved, every section merged, so a duplicate
section, element or collection key fails). :func:`validate_plan` runs it on the planned state
built in memory from the gathered state, in check mode and before a real apply's backup, so
harden fails in check mode exactly where the real run would, and nothing is written.

Every error names a line of the file as it is on disk: a defect the file already has is
reported as such (the file is already invalid; harden changes nothing), and a defect the
plan's edit would cause names the edit by the on-disk lines it replaces or follows.
"""

from __future__ import annotations

import difflib
import re

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError, UnreadableScopeError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState

from .errors import PlanValidationError
from .plan import FileChange, Plan, _Working

_LINE = re.compile(r"\bline (\d+)")


def validate_state(state: HostState, left_alone: frozenset[str] = frozenset()) -> None:
    """Every application and folder resolves; a web.config the plan left alone because IIS could not read it may stay so."""
    configuration = state.configuration
    for site in configuration.sites:
        for path in [a.path for a in site.applications] + configuration.web_config_folders(site):
            effective = configuration.resolve(site.name, path)
            if effective.unreadable is not None and normalize(effective.unreadable.web_config).casefold() not in left_alone:
                raise effective.unreadable
            for section in effective.sections():
                if not effective.depends_on_unreadable(section):
                    effective.section(section)


def planned_state(state: HostState, plan: Plan) -> HostState:
    """The host as the plan would leave it, in memory (the planner's own overlay of the edited files)."""
    working = _Working(state)
    working.files = {normalize(change.path).casefold(): change.after for change in plan.files}
    for change in plan.registry:
        working.registry[(change.path, change.name)] = (change.value, change.type)
    working.features = {feature.name: feature.state for feature in plan.features}
    return working.state()


def validate_plan(state: HostState, plan: Plan) -> None:
    """Raise PlanValidationError when the host as ``plan`` would leave it is not valid; nothing is written."""
    if not plan.files:
        return  # registry values and features do not change what IIS reads
    try:
        validate_state(planned_state(state, plan), plan.left_alone)
    except ConfigError as planned:
        raise _explained(state, plan, planned) from None


def _explained(state: HostState, plan: Plan, planned: ConfigError) -> PlanValidationError:
    """Why the planned state fails, with lines of the files as they are on disk."""
    try:
        validate_state(state, plan.left_alone)
    except ConfigError as existing:
        return PlanValidationError(
            f"{existing} — the file is already invalid on disk (IIS refuses it), so hardened.iis.harden does not write to this host "
            f"until a person corrects it; nothing was changed"
        )
    change = next((c for c in plan.files if normalize(c.path).casefold() == normalize(planned.file).casefold()), None)
    if change is None:
        return PlanValidationError(f"the plan's edits would make {planned} (a file the plan does not edit); nothing was changed")
    before = state.files.read(change.path)
    return PlanValidationError(f"the plan's edit of {change.path} would make it invalid: {_on_disk(change, before, planned)}; nothing was changed")


def _on_disk(change: FileChange, before: bytes | None, error: ConfigError) -> str:
    """The error with every line of the edited text named by the file on disk."""
    mapper = _LineMap(before or b"", change.after)
    cause = _LINE.sub(lambda match: mapper.describe(int(match.group(1))), error.cause)
    where = mapper.describe(error.line) if error.line is not None else "the edited file"
    served = f"; IIS would answer HTTP 500.19 for URLs under {error.scope}" if isinstance(error, UnreadableScopeError) else ""
    return f"{cause}, at {where}{served}"


class _LineMap:
    """Lines of an edited text mapped to the lines of the file on disk."""

    def __init__(self, before: bytes, after: bytes) -> None:
        self.before = before.splitlines()
        self.after = after.splitlines()
        self.opcodes = difflib.SequenceMatcher(None, self.before, self.after, autojunk=False).get_opcodes()

    def describe(self, line: int) -> str:
        """``line`` of the edited text: the same on-disk line, or the edit that writes it (by on-disk lines)."""
        index = line - 1
        for tag, i1, i2, j1, j2 in self.opcodes:
            if not j1 <= index < j2:
                continue
            if tag == "equal":
                return f"line {i1 + index - j1 + 1} (on disk, unchanged by the plan)"
            if i2 > i1:
                return f"a line the plan writes in place of on-disk line(s) {i1 + 1}-{i2}"
            return f"a line the plan inserts after on-disk line {i1}"
        return f"line {line} of the edited text"
