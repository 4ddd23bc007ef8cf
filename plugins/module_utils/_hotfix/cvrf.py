# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MSRC security update documents (CVRF) read into one normalised table.

Microsoft publishes one document per month (``2022-Jan``) in two forms: CVRF 1.1 XML and
the JSON of the CVRF v3 API. Both become an :class:`UpdateDocument`: the products by id
and one :class:`Fix` per CVE x product x update (a ``Vendor Fix`` remediation whose
description is a KB number). Remediations that are not KB updates (Office Click-to-Run,
Linux packages, release notes) are left out: they are not installed on a Windows server
through its update history.

The XML is parsed with expat and every DTD feature refused, like the IIS configuration
files (see ``_iisconfig/xmldoc.py``).
"""

from __future__ import annotations

import datetime
import json
import re
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_KB_NUMBER = re.compile(r"^\s*(?:KB)?(\d{6,8})\s*$", re.IGNORECASE)
_KB_ANYWHERE = re.compile(r"(?<!\d)(\d{6,8})(?!\d)")
_BUILD = re.compile(r"^\s*(?:10\.0|6\.[0-3])\.(\d+)\.(\d+)\s*$")

# JSON enumerations of the CVRF v3 API (the XML spells them out).
_JSON_THREAT_TYPES = {0: "Impact", 1: "Exploit Status", 2: "Target Set", 3: "Severity"}
_JSON_REMEDIATION_TYPES = {0: "Workaround", 1: "Mitigation", 2: "Vendor Fix", 3: "None Available", 4: "Will Not Fix", 5: "Known Issue"}


class CvrfError(HardenedIisError, ValueError):
    """A security update document cannot be read; the message names the file and the cause."""


@dataclass(frozen=True)
class Fix:
    """One update that fixes one CVE on one product."""

    cve: str
    kb: str
    product_id: str
    subtype: str
    fixed_build: tuple[int, int] | None
    """(build, UBR) from FixedBuild '10.0.20348.469', when it is a Windows build number."""
    supersedes: tuple[str, ...]
    severity: str | None
    exploited: bool
    publicly_disclosed: bool

    def as_row(self) -> list[Any]:
        return [
            self.cve,
            self.kb,
            self.product_id,
            self.subtype,
            list(self.fixed_build) if self.fixed_build else None,
            list(self.supersedes),
            self.severity,
            self.exploited,
            self.publicly_disclosed,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> Fix:
        cve, kb, product, subtype, build, supersedes, severity, exploited, disclosed = row
        return cls(cve, kb, product, subtype, (int(build[0]), int(build[1])) if build else None, tuple(supersedes), severity, bool(exploited), bool(disclosed))


@dataclass
class UpdateDocument:
    """One monthly document, normalised."""

    id: str
    revision: str
    title: str
    released: datetime.date
    products: dict[str, str] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "revision": self.revision,
            "title": self.title,
            "released": self.released.isoformat(),
            "products": self.products,
            "fixes": [f.as_row() for f in self.fixes],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpdateDocument:
        return cls(
            id=str(data["id"]),
            revision=str(data["revision"]),
            title=str(data["title"]),
            released=datetime.date.fromisoformat(str(data["released"])),
            products={str(k): str(v) for k, v in data["products"].items()},
            fixes=[Fix.from_row(row) for row in data["fixes"]],
        )


@dataclass
class _Vulnerability:
    """One CVE as read from either form, before it becomes fixes."""

    cve: str
    affected: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    severity_all: str | None = None
    exploit_status: str = ""
    remediations: list[dict[str, Any]] = field(default_factory=list)


def kb_number(text: str | None) -> str | None:
    """'KB5009555' when the remediation's description is a KB number, else None."""
    match = _KB_NUMBER.match(text or "")
    return f"KB{match.group(1)}" if match else None


def superseded_kbs(text: str | None) -> tuple[str, ...]:
    """The KBs a 'Supercedence' field names ('5008218', '4471321; 4471331', '')."""
    return tuple(dict.fromkeys(f"KB{number}" for number in _KB_ANYWHERE.findall(text or "")))


def windows_build(text: str | None) -> tuple[int, int] | None:
    """(20348, 469) from '10.0.20348.469'; None for .NET versions ('4.8.4465.0'), URLs, package versions and blanks."""
    match = _BUILD.match(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def exploit_flags(status: str) -> tuple[bool, bool]:
    """(exploited, publicly disclosed) from 'Publicly Disclosed:No;Exploited:Yes;…'."""
    fields: dict[str, str] = {}
    for part in status.split(";"):
        name, _separator, value = part.partition(":")
        fields[name.strip().casefold()] = value.strip().casefold()
    return fields.get("exploited") == "yes", fields.get("publicly disclosed") == "yes"


def _fixes(vulnerability: _Vulnerability) -> list[Fix]:
    exploited, disclosed = exploit_flags(vulnerability.exploit_status)
    fixes: list[Fix] = []
    for remediation in vulnerability.remediations:
        if remediation["type"] != "Vendor Fix":
            continue
        kb = kb_number(remediation["description"])
        if kb is None:
            continue
        for product in remediation["products"] or vulnerability.affected:
            fixes.append(
                Fix(
                    cve=vulnerability.cve,
                    kb=kb,
                    product_id=product,
                    subtype=remediation["subtype"] or "",
                    fixed_build=windows_build(remediation["fixed_build"]),
                    supersedes=superseded_kbs(remediation["supersedence"]),
                    severity=vulnerability.severity.get(product, vulnerability.severity_all),
                    exploited=exploited,
                    publicly_disclosed=disclosed,
                )
            )
    return fixes


def _date_of(text: str, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise CvrfError(f"{where}: {text!r} is not a date") from None


# ---------------------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------------------


def _refuse(what: str) -> Any:
    def handler(*_arguments: object) -> None:
        raise CvrfError(f"{what} is not allowed in a security update document")

    return handler


def _xml_tree(data: bytes, source: str) -> Element:
    """The document's element tree with namespaces dropped (CVRF 1.1 and 1.2 alike)."""
    builder = TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse("a DOCTYPE declaration")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.ExternalEntityRefHandler = _refuse("an external entity")
    parser.StartElementHandler = lambda tag, attributes: builder.start(tag.rpartition("}")[2], {k.rpartition("}")[2]: v for k, v in attributes.items()})
    parser.EndElementHandler = lambda tag: builder.end(tag.rpartition("}")[2])
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        raise CvrfError(f"{source}: line {exc.lineno}, column {exc.offset + 1}: {xml.parsers.expat.errors.messages[exc.code]}") from None
    except CvrfError as exc:
        raise CvrfError(f"{source}: line {parser.CurrentLineNumber}: {exc}") from None
    return builder.close()


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _xml_vulnerability(element: Element) -> _Vulnerability:
    found = _Vulnerability(cve=_text(element.find("CVE")))
    for status in element.iterfind("ProductStatuses/Status"):
        if status.get("Type") == "Known Affected":
            found.affected.extend(_text(p) for p in status.iterfind("ProductID"))
    for threat in element.iterfind("Threats/Threat"):
        description = _text(threat.find("Description"))
        products = [_text(p) for p in threat.iterfind("ProductID")]
        if threat.get("Type") == "Severity":
            if products:
                found.severity.update(dict.fromkeys(products, description))
            else:
                found.severity_all = description
        elif threat.get("Type") == "Exploit Status":
            found.exploit_status = description
    for remediation in element.iterfind("Remediations/Remediation"):
        found.remediations.append(
            {
                "type": remediation.get("Type", ""),
                "description": _text(remediation.find("Description")),
                "products": [_text(p) for p in remediation.iterfind("ProductID")],
                "subtype": _text(remediation.find("SubType")),
                "fixed_build": _text(remediation.find("FixedBuild")),
                "supersedence": _text(remediation.find("Supercedence")),
            }
        )
    return found


def parse_xml(data: bytes, source: str) -> UpdateDocument:
    """A CVRF 1.1 XML monthly document."""
    root = _xml_tree(data, source)
    if root.tag != "cvrfdoc":
        raise CvrfError(f"{source}: not a CVRF document (the root element is <{root.tag}>, not <cvrfdoc>)")
    tracking = root.find("DocumentTracking")
    if tracking is None or not _text(tracking.find("Identification/ID")):
        raise CvrfError(f"{source}: DocumentTracking/Identification/ID is missing")
    revisions = [_text(r) for r in tracking.iterfind("RevisionHistory/Revision/Number")]
    released = _text(tracking.find("InitialReleaseDate")) or _text(tracking.find("CurrentReleaseDate"))
    if not released:
        raise CvrfError(f"{source}: DocumentTracking/InitialReleaseDate is missing")
    document = UpdateDocument(
        id=_text(tracking.find("Identification/ID")),
        revision=revisions[-1] if revisions else _text(tracking.find("Version")),
        title=_text(root.find("DocumentTitle")),
        released=_date_of(released, f"{source}: InitialReleaseDate"),
    )
    for product in root.iter("FullProductName"):
        document.products[product.get("ProductID", "")] = " ".join((product.text or "").split())
    for vulnerability in root.iterfind("Vulnerability"):
        document.fixes.extend(_fixes(_xml_vulnerability(vulnerability)))
    return document


# ---------------------------------------------------------------------------------------
# JSON (CVRF v3 API)
# ---------------------------------------------------------------------------------------


def _value(data: Any) -> str:
    """A JSON field that is either a plain string or {"Value": "..."} (or {} when empty)."""
    if isinstance(data, dict):
        return str(data.get("Value") or "")
    return "" if data is None else str(data)


def _json_list(data: Any, where: str) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise CvrfError(f"{where} must be a list, not {type(data).__name__}")
    return data


def _json_vulnerability(data: Any, where: str) -> _Vulnerability:
    if not isinstance(data, dict) or "CVE" not in data:
        raise CvrfError(f"{where}: a vulnerability needs 'CVE'")
    found = _Vulnerability(cve=str(data["CVE"]))
    for status in _json_list(data.get("ProductStatuses"), f"{where}.ProductStatuses"):
        if status.get("Type") == 3:  # Known Affected
            found.affected.extend(str(p) for p in status.get("ProductID") or [])
    for threat in _json_list(data.get("Threats"), f"{where}.Threats"):
        kind = _JSON_THREAT_TYPES.get(threat.get("Type"), "")
        description = _value(threat.get("Description"))
        products = [str(p) for p in threat.get("ProductID") or []]
        if kind == "Severity":
            if products:
                found.severity.update(dict.fromkeys(products, description))
            else:
                found.severity_all = description
        elif kind == "Exploit Status":
            found.exploit_status = description
    for remediation in _json_list(data.get("Remediations"), f"{where}.Remediations"):
        found.remediations.append(
            {
                "type": _JSON_REMEDIATION_TYPES.get(remediation.get("Type"), ""),
                "description": _value(remediation.get("Description")),
                "products": [str(p) for p in remediation.get("ProductID") or []],
                "subtype": _value(remediation.get("SubType")),
                "fixed_build": _value(remediation.get("FixedBuild")),
                "supersedence": _value(remediation.get("Supercedence")),
            }
        )
    return found


def _json_products(tree: Any) -> dict[str, str]:
    products: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "ProductID" in node and "Value" in node:
                products[str(node["ProductID"])] = " ".join(str(node["Value"]).split())
            for key in ("Branch", "Items", "FullProductName"):
                walk(node.get(key))

    walk(tree)
    return products


def parse_json(data: bytes, source: str) -> UpdateDocument:
    """A document in the JSON form of the CVRF v3 API."""
    try:
        root = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CvrfError(f"{source}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CvrfError(f"{source}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(root, dict) or "DocumentTracking" not in root:
        raise CvrfError(f"{source}: not a CVRF document (no DocumentTracking)")
    tracking = root["DocumentTracking"]
    identification = _value((tracking.get("Identification") or {}).get("ID"))
    if not identification:
        raise CvrfError(f"{source}: DocumentTracking.Identification.ID is missing")
    revisions = _json_list(tracking.get("RevisionHistory"), f"{source}: DocumentTracking.RevisionHistory")
    released = str(tracking.get("InitialReleaseDate") or tracking.get("CurrentReleaseDate") or "")
    if not released:
        raise CvrfError(f"{source}: DocumentTracking.InitialReleaseDate is missing")
    document = UpdateDocument(
        id=identification,
        revision=str(revisions[-1].get("Number")) if revisions else _value(tracking.get("Version")),
        title=_value(root.get("DocumentTitle")),
        released=_date_of(released, f"{source}: InitialReleaseDate"),
        products=_json_products(root.get("ProductTree")),
    )
    for index, vulnerability in enumerate(_json_list(root.get("Vulnerability"), f"{source}: Vulnerability")):
        document.fixes.extend(_fixes(_json_vulnerability(vulnerability, f"{source}: Vulnerability[{index}]")))
    return document


def parse_document(data: bytes, source: str) -> UpdateDocument:
    """A monthly document in either form (JSON when it starts with '{' or '[')."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CvrfError(f"{source}: {len(data)} bytes, more than the limit of {MAX_DOCUMENT_BYTES}")
    if not data.strip():
        raise CvrfError(f"{source}: the file is empty")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return parse_json(data, source)
    return parse_xml(data, source)
