# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``site_pools`` check: no application pool serves applications of more than one site (no automated fix).

``site_pools: {unique: true}``, evaluated per site. Each application's pool is the one the engine
resolves (``IisConfiguration.sites``, ``effective.py``): the application's ``applicationPool``, else
its site's ``applicationDefaults``, else ``sites/applicationDefaults``. An application with none of
them set has no named pool; two sites in that case share whatever pool IIS picks, so they count as
sharing one. Pool names compare without case, as IIS compares them. A failing site's evidence names
each shared pool with the other sites it serves, at the file and line of the application entry.
Moving applications to new pools is disruptive: the remediation is a person's.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration, Provenance, Site
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, from_provenance

SITES = "system.applicationHost/sites"
UNNAMED = "(no pool named: applicationPool unset on the application and in applicationDefaults)"
EXPECTED = "each application pool serves the applications of one site only"


def _pool_key(pool: str | None) -> str:
    return (pool or "").casefold()


def _shown(pool: str | None) -> str:
    return repr(pool) if pool else UNNAMED


def _application_provenance(configuration: IisConfiguration) -> dict[tuple[str, str], Provenance]:
    """Where each application entry is written, by (site name, application path), both folded."""
    found: dict[tuple[str, str], Provenance] = {}
    for site_entry in configuration.server().section(SITES).entries:
        site = (site_entry.element.value("name") or "").casefold()
        for app_entry in site_entry.element.entries:
            found.setdefault((site, (app_entry.element.value("path") or "/").casefold()), app_entry.provenance)
    return found


def _sites_by_pool(sites: list[Site]) -> dict[str, list[str]]:
    """The names of the sites each pool serves (keys folded), each site once, in the file's order."""
    serving: dict[str, list[str]] = {}
    for site in sites:
        for application in site.applications:
            names = serving.setdefault(_pool_key(application.application_pool), [])
            if site.name not in names:
                names.append(site.name)
    return serving


class SitePoolsCheck(CheckKind):
    """``site_pools: {unique: true}``: a site's applications run in pools no other site uses."""

    name = "site_pools"
    required = ("unique",)

    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        super().parse(spec, where)
        if spec["unique"] is not True or set(spec) != {"unique"}:
            raise CatalogError(f"{where}: check 'site_pools' takes only 'unique: true', got {spec!r}")
        return None

    def summary(self, spec: dict[str, Any]) -> str:
        return "site_pools: no application pool serves applications of more than one site"

    def evaluate(self, at: Evaluation) -> Finding:
        configuration = at.state.configuration
        sites = at.sites()
        serving = _sites_by_pool(sites)
        provenance = _application_provenance(configuration)
        targets = [at.site] if at.site is not None else sites
        shared: list[str] = []
        first: Provenance | None = None
        for site in targets:
            seen: set[str] = set()
            for application in site.applications:
                key = _pool_key(application.application_pool)
                others = [name for name in serving.get(key, []) if name != site.name]
                if not others or key in seen:
                    continue
                seen.add(key)
                where = provenance.get((site.name.casefold(), application.path.casefold()))
                first = first or where
                owner = "" if at.site is not None else f"{site.name}: "
                shared.append(f"{owner}pool {_shown(application.application_pool)} (application {application.path}) also serves {', '.join(others)}")
        if shared:
            return at.finding("fail", from_provenance(first, "; ".join(shared), EXPECTED))
        pools = sorted({_shown(a.application_pool) for s in targets for a in s.applications})
        if not pools:
            return at.finding("pass", Evidence(file=SITES, actual="no applications", expected=EXPECTED))
        anchor = targets[0].provenance if len(targets) == 1 else None
        return at.finding("pass", from_provenance(anchor, f"pools used by no other site: {', '.join(pools)}", EXPECTED))
