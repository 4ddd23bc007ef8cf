# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The approved_updates filter: manifest validation, stages, archive locations and its documentation."""

from __future__ import annotations

import datetime
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.filter import approved_updates as plugin
from ansible_collections.hardened.iis.plugins.filter.approved_updates import approved_updates

ROOT = Path(__file__).resolve().parents[4]
SHA_A = "9f2c6a1e8b7d4c3a9e5f1b2d6c8a0e4f7b3d9c1a5e2f8b4d6a0c3e7f9b1d5a2c"
SHA_B = "3B7A0C9D2E4F6A8B1C3D5E7F9A0B2C4D6E8F0A1B3C5D7E9F1A2B4C6D8E0F1A3B"


def entry(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kb": "KB5068787",
        "title": "2025-11 Cumulative Update for Microsoft server operating system version 21H2",
        "products": ["Windows Server 2022"],
        "file": "2025-11/windows10.0-kb5068787-x64.msu",
        "sha256": SHA_A,
        "approved_on": datetime.date(2025, 11, 14),
        "tested_in": ["test"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


MANIFEST = [
    entry(),
    entry(
        kb="5034272",
        title=".NET Framework 3.5 and 4.8",
        products=["Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"],
        file="https://patches.example.org/dotnet/windows10.0-kb5034272-x64-ndp48.msu",
        sha256=SHA_B,
        approved_on="2024-01-12",
        tested_in=[],
        promoted_on="2024-01-20",
    ),
]


def test_entries_come_back_normalised_in_the_manifests_order() -> None:
    assert approved_updates(MANIFEST) == [
        {
            "kb": "KB5068787",
            "title": "2025-11 Cumulative Update for Microsoft server operating system version 21H2",
            "products": ["Windows Server 2022"],
            "file": "2025-11/windows10.0-kb5068787-x64.msu",
            "sha256": SHA_A,
            "approved_on": "2025-11-14",
            "tested_in": ["test"],
            "promoted_on": None,
        },
        {
            "kb": "KB5034272",
            "title": ".NET Framework 3.5 and 4.8",
            "products": ["Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"],
            "file": "https://patches.example.org/dotnet/windows10.0-kb5034272-x64-ndp48.msu",
            "sha256": SHA_B.lower(),
            "approved_on": "2024-01-12",
            "tested_in": [],
            "promoted_on": "2024-01-20",
        },
    ]


def test_production_gets_only_the_promoted_entries() -> None:
    assert [e["kb"] for e in approved_updates(MANIFEST, "test")] == ["KB5068787", "KB5034272"]
    assert [e["kb"] for e in approved_updates(MANIFEST, "production")] == ["KB5034272"]
    assert approved_updates([entry()], "production") == []


def test_a_mapping_with_updates_and_an_empty_manifest_are_accepted() -> None:
    assert approved_updates({"updates": MANIFEST}) == approved_updates(MANIFEST)
    assert approved_updates(None) == []
    assert approved_updates({"updates": None}) == []
    assert approved_updates([entry(tested_in=None, promoted_on="")])[0]["tested_in"] == []


def test_a_manifest_read_from_yaml_with_unquoted_dates_is_valid() -> None:
    text = (
        "updates:\n"
        "  - kb: kb5068787\n"
        "    title: November cumulative update\n"
        "    products: [Windows Server 2022]\n"
        "    file: 2025-11\\windows10.0-kb5068787-x64.msu\n"
        f"    sha256: {SHA_A}\n"
        "    approved_on: 2025-11-14\n"
        "    tested_in: [web03]\n"
        "    promoted_on: 2025-11-21\n"
    )
    [found] = approved_updates(yaml.safe_load(text), "production")
    assert (found["kb"], found["approved_on"], found["promoted_on"]) == ("KB5068787", "2025-11-14", "2025-11-21")


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ([entry(), entry(kb="Q123")], "approved_updates: entry 1 (kb): 'Q123' is not a KB number"),
        ([entry(sha256="abc")], "approved_updates: entry 0 (sha256): 'abc' is not a SHA-256 digest (64 hexadecimal characters)"),
        ([entry(sha256="g" * 64)], "entry 0 (sha256)"),
        ([entry(sha256=int("1" * 64))], "is not a SHA-256 digest (64 hexadecimal characters); quote it in YAML"),
        ([entry(file=..., sha256=...)], "approved_updates: entry 0 lacks file, sha256"),
        ([entry(approved_by="alice")], "approved_updates: entry 0 has unknown key(s) approved_by (known: kb, title, products"),
        ([entry(), entry(kb="5068787", file="b.msu")], "approved_updates: entry 1 (kb): KB5068787 is listed twice (entries 0 and 1)"),
        ([entry(approved_on="14.11.2025")], "approved_updates: entry 0 (approved_on): '14.11.2025' is not a date (YYYY-MM-DD)"),
        ([entry(promoted_on="2025-11-01")], "approved_updates: entry 0 (promoted_on): 2025-11-01 is before approved_on 2025-11-14"),
        ([entry(products=[])], "approved_updates: entry 0 (products): expected at least one name"),
        ([entry(products="Windows Server 2022")], "approved_updates: entry 0 (products): expected a list of names, got str"),
        ([entry(tested_in="web03")], "approved_updates: entry 0 (tested_in): expected a list of names, got str"),
        ([entry(title="")], "approved_updates: entry 0 (title): expected a non-empty string"),
        (
            [entry(file="C:\\patches\\a.msu")],
            "approved_updates: entry 0 (file): 'C:\\\\patches\\\\a.msu' must be relative to the archive root or an http(s) URL",
        ),
        ([entry(file="\\\\fs01\\patches\\a.msu")], "must be relative to the archive root or an http(s) URL"),
        ([entry(file="/srv/a.msu")], "must be relative to the archive root or an http(s) URL"),
        ([entry(file="2025-11/../../secrets/a.msu")], "approved_updates: entry 0 (file): '2025-11/../../secrets/a.msu' must not leave the archive root (..)"),
        ([entry(file="https:///a.msu")], "is a URL without a host"),
        (["KB5068787"], "approved_updates: entry 0 is not a mapping but str"),
        ("KB5068787", "approved_updates expects the manifest's list of updates, not str"),
        ({"updates": [], "owner": "patching team"}, "a manifest mapping holds one key, updates (found: updates, owner)"),
    ],
)
def test_each_mistake_names_the_entry_and_key(manifest: Any, message: str) -> None:
    with pytest.raises(AnsibleFilterError) as caught:
        approved_updates(manifest)
    assert message in str(caught.value)


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(AnsibleFilterError, match="stage must be one of test, production, not 'staging'"):
        approved_updates(MANIFEST, "staging")


def test_an_invalid_entry_fails_even_when_the_stage_would_skip_it() -> None:
    with pytest.raises(AnsibleFilterError, match=re.escape("entry 0 (sha256)")):
        approved_updates([entry(sha256="bad")], "production")


def test_a_share_root_gives_windows_paths_to_copy_and_a_url_entry_stays_a_download() -> None:
    local, remote = approved_updates(MANIFEST, archive_root="\\\\fs01\\patches\\")
    assert local["source"] == "\\\\fs01\\patches\\2025-11\\windows10.0-kb5068787-x64.msu"
    assert (local["transfer"], local["filename"]) == ("copy", "windows10.0-kb5068787-x64.msu")
    assert remote["source"] == MANIFEST[1]["file"]
    assert (remote["transfer"], remote["filename"]) == ("download", "windows10.0-kb5034272-x64-ndp48.msu")


def test_a_url_root_gives_encoded_urls_to_download() -> None:
    [found] = approved_updates([entry(file="2025-11\\cumulative update.msu")], archive_root="https://patches.example.org/archive/")
    assert found["source"] == "https://patches.example.org/archive/2025-11/cumulative%20update.msu"
    assert (found["transfer"], found["filename"]) == ("download", "cumulative update.msu")


def test_without_archive_root_no_location_is_added() -> None:
    assert "source" not in approved_updates(MANIFEST)[0]


def test_a_relative_file_needs_an_archive_root_and_file_names_must_differ() -> None:
    with pytest.raises(AnsibleFilterError, match=re.escape("entry 0 (file): '2025-11/windows10.0-kb5068787-x64.msu' is relative but no archive root is set")):
        approved_updates(MANIFEST, archive_root="")
    with pytest.raises(AnsibleFilterError, match=re.escape("entry 1 (file): file name 'A.msu' is also used by entry 0")):
        approved_updates([entry(file="x/a.msu"), entry(kb="KB5034272", file="y/A.msu")], archive_root="\\\\fs01\\p")


def test_the_filter_is_registered_and_documented_with_its_options() -> None:
    assert plugin.FilterModule().filters() == {"approved_updates": approved_updates}
    documentation = yaml.safe_load((ROOT / "plugins" / "filter" / "approved_updates.yml").read_text(encoding="utf-8"))
    assert documentation["DOCUMENTATION"]["name"] == "approved_updates"
    options = documentation["DOCUMENTATION"]["options"]
    parameters = list(inspect.signature(approved_updates).parameters)
    assert set(options) == {"_input", *parameters[1:]}
    assert options["stage"]["choices"] == list(plugin.STAGES)
    assert options["stage"]["default"] == inspect.signature(approved_updates).parameters["stage"].default
