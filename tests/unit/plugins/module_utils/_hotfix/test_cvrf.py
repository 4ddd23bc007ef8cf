# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading MSRC documents: the real XML ones, the JSON form, and broken input."""

from __future__ import annotations

import json

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.cvrf import (
    CvrfError,
    exploit_flags,
    parse_document,
    superseded_kbs,
    windows_build,
)

from .conftest import CVRF, needs_corpus


@needs_corpus
def test_the_four_real_documents_parse_with_their_ids_revisions_and_dates(real_catalog: UpdateCatalog) -> None:
    summary = {d["id"]: (d["revision"], d["released"]) for d in real_catalog.summary()}
    assert summary == {
        "2018-Dec": ("8", "2018-12-11"),
        "2022-Jan": ("7", "2022-01-11"),
        "2024-Jan": ("5", "2024-01-09"),
        "2025-Nov": ("170", "2025-11-11"),
    }
    assert all(d["fixes"] > 1000 for d in real_catalog.summary())


@needs_corpus
def test_january_2022_fixes_the_http_sys_worm_on_windows_server_2022_with_kb5009555(real_catalog: UpdateCatalog) -> None:
    names = real_catalog.product_names
    assert names["11923"] == "Windows Server 2022"
    assert names["11924"] == "Windows Server 2022 (Server Core installation)"
    fixes = [f for d, f in real_catalog.by_product["11923"] if d.id == "2022-Jan" and f.cve == "CVE-2022-21907"]
    assert len(fixes) == 1
    fix = fixes[0]
    assert (fix.kb, fix.subtype, fix.fixed_build, fix.supersedes, fix.severity) == ("KB5009555", "Security Update", (20348, 469), ("KB5008223",), "Critical")
    assert (fix.exploited, fix.publicly_disclosed) == (False, False)
    core = [f for d, f in real_catalog.by_product["11924"] if d.id == "2022-Jan" and f.cve == "CVE-2022-21907"]
    assert [f.kb for f in core] == ["KB5009555"]


@needs_corpus
def test_november_2025_offers_a_hotpatch_beside_the_cumulative_update(real_catalog: UpdateCatalog) -> None:
    fixes = {(f.kb, f.subtype, f.fixed_build) for d, f in real_catalog.by_product["11923"] if d.id == "2025-Nov"}
    assert ("KB5068787", "Security Update", (20348, 4405)) in fixes
    assert ("KB5068840", "Security Hotpatch Update", (20348, 4346)) in fixes
    exploited = {f.cve for d, f in real_catalog.by_product["11923"] if d.id == "2025-Nov" and f.exploited}
    assert exploited, "November 2025 has CVEs marked exploited for Windows Server 2022"


@needs_corpus
def test_dotnet_fixes_carry_no_windows_build(real_catalog: UpdateCatalog) -> None:
    dotnet = [f for d, f in real_catalog.by_product["11676-11923"] if d.id == "2024-Jan"]
    assert dotnet and {f.kb for f in dotnet} == {"KB5034272"}
    assert all(f.fixed_build is None for f in dotnet)


@needs_corpus
def test_a_truncated_document_fails_with_the_file_and_the_line() -> None:
    assert CVRF is not None
    path = CVRF / "cvrfDocument-2022-Jan.xml"
    with pytest.raises(CvrfError) as error:
        parse_document(path.read_bytes()[:200_000], str(path))
    assert str(path) in str(error.value)
    assert "line" in str(error.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x/>', "a DOCTYPE declaration is not allowed"),
        (b"<rss><channel/></rss>", "not a CVRF document (the root element is <rss>"),
        (b'{"DocumentTracking": {}}', "Identification.ID is missing"),
        (b'{"Vulnerability": [}', "line 1, column 20"),
        (b"[1, 2]", "not a CVRF document (no DocumentTracking)"),
    ],
)
def test_broken_documents_fail_naming_the_file_and_the_cause(data: bytes, message: str) -> None:
    with pytest.raises(CvrfError) as error:
        parse_document(data, "/srv/msrc/2099-Jan.xml")
    assert "/srv/msrc/2099-Jan.xml" in str(error.value)
    assert message in str(error.value)


XML = b"""<?xml version="1.0" encoding="utf-8"?>
<cvrf:cvrfdoc xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1" xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1"
    xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1">
  <cvrf:DocumentTitle>March 2026 Security Updates</cvrf:DocumentTitle>
  <cvrf:DocumentTracking>
    <cvrf:Identification><cvrf:ID>2026-Mar</cvrf:ID></cvrf:Identification>
    <cvrf:RevisionHistory><cvrf:Revision><cvrf:Number>1</cvrf:Number></cvrf:Revision><cvrf:Revision><cvrf:Number>2</cvrf:Number></cvrf:Revision></cvrf:RevisionHistory>
    <cvrf:InitialReleaseDate>2026-03-10T07:00:00Z</cvrf:InitialReleaseDate>
  </cvrf:DocumentTracking>
  <prod:ProductTree>
    <prod:Branch Type="Vendor" Name="Microsoft"><prod:FullProductName ProductID="11923">Windows Server 2022</prod:FullProductName></prod:Branch>
    <prod:FullProductName ProductID="11924">Windows Server 2022  (Server Core installation)</prod:FullProductName>
  </prod:ProductTree>
  <vuln:Vulnerability Ordinal="1">
    <vuln:CVE>CVE-2026-0001</vuln:CVE>
    <vuln:ProductStatuses>
      <vuln:Status Type="Known Affected"><vuln:ProductID>11923</vuln:ProductID><vuln:ProductID>11924</vuln:ProductID></vuln:Status>
    </vuln:ProductStatuses>
    <vuln:Threats>
      <vuln:Threat Type="Severity"><vuln:Description>Important</vuln:Description><vuln:ProductID>11923</vuln:ProductID></vuln:Threat>
      <vuln:Threat Type="Severity"><vuln:Description>Critical</vuln:Description><vuln:ProductID>11924</vuln:ProductID></vuln:Threat>
      <vuln:Threat Type="Exploit Status">
        <vuln:Description>Publicly Disclosed:Yes;Exploited:Yes;Latest Software Release:Exploitation Detected</vuln:Description>
      </vuln:Threat>
    </vuln:Threats>
    <vuln:Remediations>
      <vuln:Remediation Type="Vendor Fix">
        <vuln:Description>5099001</vuln:Description>
        <vuln:Supercedence>5098001; 5098002</vuln:Supercedence>
        <vuln:SubType>Security Update</vuln:SubType>
        <vuln:FixedBuild>10.0.20348.5001</vuln:FixedBuild>
      </vuln:Remediation>
      <vuln:Remediation Type="Vendor Fix"><vuln:Description>Click to Run</vuln:Description><vuln:ProductID>11923</vuln:ProductID></vuln:Remediation>
      <vuln:Remediation Type="Known Issue"><vuln:Description>5099001</vuln:Description><vuln:ProductID>11923</vuln:ProductID></vuln:Remediation>
    </vuln:Remediations>
  </vuln:Vulnerability>
</cvrf:cvrfdoc>
"""

JSON = {
    "DocumentTitle": {"Value": "March 2026 Security Updates"},
    "DocumentTracking": {
        "Identification": {"ID": {"Value": "2026-Mar"}},
        "RevisionHistory": [{"Number": "1", "Date": "2026-03-10T07:00:00"}, {"Number": "2", "Date": "2026-03-12T07:00:00"}],
        "InitialReleaseDate": "2026-03-10T07:00:00",
        "CurrentReleaseDate": "2026-03-12T07:00:00",
    },
    "ProductTree": {
        "Branch": [
            {"Type": 0, "Name": "Microsoft", "Items": [{"Type": 0, "Name": "Windows", "Items": [{"ProductID": "11923", "Value": "Windows Server 2022"}]}]}
        ],
        "FullProductName": [{"ProductID": "11924", "Value": "Windows Server 2022  (Server Core installation)"}],
    },
    "Vulnerability": [
        {
            "Title": {"Value": "An example"},
            "CVE": "CVE-2026-0001",
            "ProductStatuses": [{"ProductID": ["11923", "11924"], "Type": 3}],
            "Threats": [
                {"Description": {"Value": "Important"}, "ProductID": ["11923"], "Type": 3},
                {"Description": {"Value": "Critical"}, "ProductID": ["11924"], "Type": 3},
                {"Description": {"Value": "Publicly Disclosed:Yes;Exploited:Yes;Latest Software Release:Exploitation Detected"}, "Type": 1},
            ],
            "Remediations": [
                {
                    "Description": {"Value": "5099001"},
                    "Supercedence": "5098001; 5098002",
                    "SubType": "Security Update",
                    "FixedBuild": "10.0.20348.5001",
                    "Type": 2,
                    "RestartRequired": {"Value": "Yes"},
                },
                {"Description": {"Value": "Click to Run"}, "ProductID": ["11923"], "Type": 2, "RestartRequired": {}},
                {"Description": {"Value": "5099001"}, "ProductID": ["11923"], "Type": 5},
            ],
        }
    ],
}


def test_the_xml_and_json_forms_of_a_document_give_the_same_table() -> None:
    from_xml = parse_document(XML, "2026-Mar.xml")
    from_json = parse_document(json.dumps(JSON).encode(), "2026-Mar.json")
    assert from_xml.as_dict() == from_json.as_dict()
    assert (from_xml.id, from_xml.revision, from_xml.released.isoformat()) == ("2026-Mar", "2", "2026-03-10")
    assert from_xml.products == {"11923": "Windows Server 2022", "11924": "Windows Server 2022 (Server Core installation)"}
    # The fix names no product, so it covers every affected one; Click to Run is not a KB update.
    assert [(f.product_id, f.kb, f.severity, f.exploited, f.publicly_disclosed) for f in from_xml.fixes] == [
        ("11923", "KB5099001", "Important", True, True),
        ("11924", "KB5099001", "Critical", True, True),
    ]
    assert from_xml.fixes[0].supersedes == ("KB5098001", "KB5098002")
    assert from_xml.fixes[0].fixed_build == (20348, 5001)


def test_field_helpers_read_what_msrc_writes() -> None:
    assert superseded_kbs("4471321, 4471331") == ("KB4471321", "KB4471331")
    assert superseded_kbs("") == ()
    assert windows_build("10.0.17763.2452") == (17763, 2452)
    assert windows_build("6.3.9600.20778") == (9600, 20778)
    assert windows_build("4.8.4465.0") is None  # a .NET Framework version
    assert windows_build("https://aka.ms/OfficeSecurityReleases") is None
    assert exploit_flags("Publicly Disclosed:No;Exploited:Yes;DOS:N/A") == (True, False)
    assert exploit_flags("DOS:N/A") == (False, False)
