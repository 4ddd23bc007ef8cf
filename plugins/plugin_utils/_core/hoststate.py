# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host state: everything the rules read about one host.

A host snapshot is a directory: ``files/`` mirrors the host's drives
(``files/C/Windows/System32/inetsrv/config/applicationHost.config``) and ``state.yml``
holds what is not a file (see docs/host-state.md): environment, OS facts, IIS version,
registry values under the watched keys, Windows features and services, and for hotfix
compliance the installed updates and Defender's status, and the access control lists of the
folders some rules read (``acls``, ``_core/acl.py``). A live gather
returns the same document, with the files' contents inline.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import (
    DEFAULT_ENVIRONMENT,
    FileSource,
    MemoryFiles,
    SnapshotFiles,
    environment_problem,
    normalize,
)

from .acl import AclEntry, parse_acls
from .errors import HostStateError, UnreadableServerFileError

STATE_KEYS = (
    "host",
    "collected_at",
    "environment",
    "os",
    "iis",
    "registry",
    "features",
    "services",
    "updates",
    "defender",
    "processes",
    "listening_ports",
    "present_paths",
    "acls",
    "ssl_bindings",
)
FEATURE_STATES = ("installed", "absent")


@dataclass(frozen=True)
class SslBinding:
    """A certificate HTTP.sys binds to an endpoint (state ``ssl_bindings``): ``0.0.0.0:443``, or with SNI ``host:443``."""

    endpoint: str
    sni: bool
    certificate_hash: str | None


def parse_ssl_bindings(data: Any, source: str) -> tuple[SslBinding, ...] | None:
    """The state's ``ssl_bindings`` (None when the state does not record them: an older snapshot or gather)."""
    if data is None:
        return None
    if not isinstance(data, list):
        raise HostStateError(f"{source}: ssl_bindings must be a list, not {type(data).__name__}")
    found = []
    for number, item in enumerate(data):
        where = f"{source}: ssl_bindings[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("endpoint"), str) or not item["endpoint"].strip():
            raise HostStateError(f"{where} must be a mapping with an endpoint (ip:port or host:port)")
        if not isinstance(item.get("sni", False), bool):
            raise HostStateError(f"{where}.sni must be true or false")
        thumbprint = item.get("certificate_hash")
        if thumbprint is not None and not (isinstance(thumbprint, str) and re.fullmatch(r"[0-9A-Fa-f]{40,128}", thumbprint)):
            raise HostStateError(f"{where}.certificate_hash must be a hex thumbprint or null")
        found.append(SslBinding(item["endpoint"].strip(), bool(item.get("sni", False)), thumbprint))
    return tuple(found)


def _fold_keys(mapping: dict[str, Any]) -> dict[str, Any]:
    return {str(k).casefold(): v for k, v in mapping.items()}


@dataclass
class HostState:
    name: str
    files: FileSource
    environment: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ENVIRONMENT))
    os: dict[str, Any] = field(default_factory=dict)
    iis: dict[str, Any] = field(default_factory=dict)
    registry: dict[str, dict[str, Any]] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    services: dict[str, dict[str, str]] = field(default_factory=dict)
    updates: list[Any] = field(default_factory=list)
    defender: dict[str, Any] | None = None
    source: str = ""
    reported_name: str | None = None
    """The computer name the host reported (state ``host``): a fact, never the host's key, which
    is always the inventory name (``name``)."""
    ssl_bindings: tuple[SslBinding, ...] | None = None
    """HTTP.sys's certificate bindings (state ``ssl_bindings``); None when the state does not record them."""
    site_roles: dict[str, str] = field(default_factory=dict)
    """The role the organisation states for each site (``hardened_iis_site_roles``: name or glob -> role,
    e.g. ``private``), an inventory fact the rules' ``site_role`` conditions read; never from the host."""
    acls: dict[str, tuple[AclEntry, ...]] = field(default_factory=dict)
    """Access rules by Windows path (state ``acls``, ``_core/acl.py``), for the paths the gather read."""
    _configuration: IisConfiguration | None = None

    def __post_init__(self) -> None:
        self._registry = {k.casefold(): _fold_keys(v) for k, v in self.registry.items()}
        self._features = _fold_keys(self.features)
        self._services = _fold_keys(self.services)
        self._acls = {normalize(path).casefold(): entries for path, entries in self.acls.items()}

    @property
    def configuration(self) -> IisConfiguration:
        """The host's IIS configuration, read once.

        A server file IIS cannot read (applicationHost.config, machine.config, the root web.config,
        a schema file) raises UnreadableServerFileError: every site depends on it. A missing
        applicationHost.config is a plain ConfigError (the rules that need it are errors), and a
        web.config IIS cannot read fails only its own scope (``EffectiveConfig.unreadable``).
        """
        if self._configuration is None:
            try:
                self._configuration = IisConfiguration.from_source(self.files, self.environment)
            except ConfigError as exc:
                if not self.files.exists(exc.file):
                    raise
                cause = f"{exc.cause}; every site of the host depends on this file, so none is evaluated"
                raise UnreadableServerFileError(exc.file, cause, line=exc.line, column=exc.column) from exc
        return self._configuration

    @property
    def system_drive(self) -> str:
        return str(self.environment.get("SystemDrive", "C:"))

    def registry_value(self, path: str, name: str) -> tuple[bool, Any]:
        """(present, value) of a registry value; key paths and names compare without case."""
        values = self._registry.get(path.casefold().replace("hkey_local_machine\\", "hklm\\"))
        if values is None or name.casefold() not in values:
            return False, None
        return True, values[name.casefold()]

    def feature(self, name: str) -> str | None:
        """'installed', 'absent', or None when the host state does not say."""
        found = self._features.get(name.casefold())
        return str(found) if found is not None else None

    def service(self, name: str) -> dict[str, str] | None:
        found = self._services.get(name.casefold())
        return dict(found) if found is not None else None

    def acl(self, path: str) -> tuple[AclEntry, ...] | None:
        """The access rules of a path's ACL (paths compare without case), or None when the state does not hold it."""
        return self._acls.get(normalize(path).casefold())


class PresentPaths:
    """A host's files, plus paths known to exist whose content was not collected (``present_paths``)."""

    def __init__(self, files: FileSource, present: list[str]) -> None:
        self._files = files
        self._present = {normalize(p).casefold() for p in present}

    def read(self, path: str) -> bytes | None:
        return self._files.read(path)

    def list_dir(self, path: str) -> list[str]:
        return self._files.list_dir(path)

    def exists(self, path: str) -> bool:
        return normalize(path).casefold() in self._present or self._files.exists(path)

    def find(self, folder: str, name: str) -> list[str]:
        return self._files.find(folder, name)


def _check_mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HostStateError(f"{where} must be a mapping, not {type(value).__name__}")
    return value


def _check_environment(environment: dict[str, Any], source: str) -> dict[str, str]:
    """The host's environment variables, each a drive or a path (they expand paths IIS reads)."""
    for name, value in environment.items():
        problem = environment_problem(str(name), value)
        if problem is not None:
            raise HostStateError(f"{source}: environment[{str(name)!r}] = {value!r}: {problem}")
    return {str(name): str(value) for name, value in environment.items()}


def state_from_document(document: Any, files: FileSource, source: str, default_name: str) -> HostState:
    """Build host state from a state document (``state.yml`` or a gather result)."""
    data = _check_mapping(document, source)
    unknown = sorted(set(data) - set(STATE_KEYS))
    if unknown:
        raise HostStateError(f"{source}: unknown key(s) {', '.join(unknown)} (known: {', '.join(STATE_KEYS)})")
    registry = _check_mapping(data.get("registry"), f"{source}: registry")
    for key, values in registry.items():
        _check_mapping(values, f"{source}: registry[{key!r}]")
    features = _check_mapping(data.get("features"), f"{source}: features")
    for name, state in features.items():
        if state not in FEATURE_STATES:
            raise HostStateError(f"{source}: features[{name!r}] must be one of {', '.join(FEATURE_STATES)}, not {state!r}")
    services = _check_mapping(data.get("services"), f"{source}: services")
    for name, service in services.items():
        _check_mapping(service, f"{source}: services[{name!r}]")
    updates = data.get("updates") or []
    if not isinstance(updates, list):
        raise HostStateError(f"{source}: updates must be a list, not {type(updates).__name__}")
    present = data.get("present_paths") or []
    if not isinstance(present, list) or not all(isinstance(p, str) for p in present):
        raise HostStateError(f"{source}: present_paths must be a list of paths")
    if present:
        files = PresentPaths(files, present)
    for key in ("processes", "listening_ports"):
        if not isinstance(data.get(key) or [], list):
            raise HostStateError(f"{source}: {key} must be a list, not {type(data[key]).__name__}")
    defender = data.get("defender")
    if defender is not None:
        _check_mapping(defender, f"{source}: defender")
    environment = dict(DEFAULT_ENVIRONMENT)
    environment.update(_check_environment(_check_mapping(data.get("environment"), f"{source}: environment"), source))
    return HostState(
        name=default_name,
        reported_name=str(data["host"]) if data.get("host") else None,
        files=files,
        environment=environment,
        os=_check_mapping(data.get("os"), f"{source}: os"),
        iis=_check_mapping(data.get("iis"), f"{source}: iis"),
        registry={str(k): dict(v) for k, v in registry.items()},
        features={str(k): str(v) for k, v in features.items()},
        services={str(k): {str(a): str(b) for a, b in v.items()} for k, v in services.items()},
        updates=list(updates),
        defender=defender,
        acls=parse_acls(data.get("acls"), source),
        ssl_bindings=parse_ssl_bindings(data.get("ssl_bindings"), source),
        source=source,
    )


def gathered_files(result: dict[str, Any], host: str) -> dict[str, bytes]:
    """The files of a hardened.iis.iis_host_state result (Windows path -> bytes)."""
    files: dict[str, bytes] = {}
    for index, item in enumerate(result.get("files") or []):
        if not isinstance(item, dict) or "path" not in item or "content" not in item:
            raise HostStateError(f"{host}: gather result files[{index}] needs 'path' and 'content'")
        try:
            files[str(item["path"])] = base64.b64decode(str(item["content"]), validate=True)
        except binascii.Error:
            raise HostStateError(f"{host}: gather result files[{index}] ({item['path']}): content is not base64") from None
    return files


def probed_paths(result: dict[str, Any], host: str) -> set[str]:
    """The paths a gather found to exist among those it was asked to probe (``probe_paths``)."""
    present = set()
    for index, probe in enumerate(result.get("probes") or []):
        if not isinstance(probe, dict) or not isinstance(probe.get("path"), str) or not isinstance(probe.get("exists"), bool):
            raise HostStateError(f"{host}: gather result probes[{index}] needs 'path' (text) and 'exists' (true or false)")
        if probe["exists"]:
            present.add(probe["path"])
    return present


def state_from_gather(result: dict[str, Any], host: str) -> HostState:
    """Host state from the result of hardened.iis.iis_host_state (files inline, base64; probed paths that exist)."""
    files = MemoryFiles(gathered_files(result, host), probed_paths(result, host))
    return state_from_document(result.get("state") or {}, files, f"{host} (gathered)", host)


def read_state_document(root: Path) -> Any:
    """A snapshot's ``state.yml`` as data ({} when there is none); malformed YAML names the file and line."""
    state_file = root / "state.yml"
    if state_file.is_symlink():
        raise HostStateError(f"{state_file}: a symbolic link; a snapshot's files are never read through links")
    if not state_file.is_file():
        return {}
    try:
        return yaml.safe_load(state_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise HostStateError(f"{state_file}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def load_snapshot(directory: str | Path, name: str | None = None) -> HostState:
    """Host state from a snapshot directory."""
    root = Path(directory)
    if not (root / "files").is_dir():
        raise HostStateError(f"{root}: not a host snapshot (no 'files' directory)")
    if (root / "files").is_symlink():
        raise HostStateError(f"{root / 'files'}: a symbolic link; a snapshot's files are never read through links")
    return state_from_document(read_state_document(root), SnapshotFiles(root / "files"), str(root / "state.yml"), name or root.name)
