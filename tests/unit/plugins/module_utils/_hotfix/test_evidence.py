# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Evidence files (systeminfo, wmic qfe): hand-written inputs and the real samples in ``$HARDENED_IIS_CORPUS``."""

from __future__ import annotations

import codecs
import datetime
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.evidence import decode_evidence, parse_qfe, parse_systeminfo
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFactsError, InstalledUpdate

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
needs_corpus = pytest.mark.skipif(not CORPUS or not Path(CORPUS).is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")

# One systeminfo field per line, in the order systeminfo prints them; {hotfixes} is the Hotfix(s) block.
SYSTEMINFO_FIELDS = [
    ("Host Name", "WEB01"),
    ("OS Name", "{os_name}"),
    ("OS Version", "10.0.20348 N/A Build 20348"),
    ("OS Manufacturer", "Microsoft Corporation"),
    ("OS Configuration", "Member Server"),
    ("OS Build Type", "Multiprocessor Free"),
    ("Registered Owner", "Windows User"),
    ("Registered Organization", ""),
    ("Product ID", "00454-00000-00000-AA000"),
    ("Original Install Date", "1/2/2023, 3:04:05 PM"),
    ("System Boot Time", "2/3/2024, 4:05:06 AM"),
    ("System Manufacturer", "Example Corp"),
    ("System Model", "Virtual Machine"),
    ("System Type", "{system_type}"),
    ("Processor(s)", "1 Processor(s) Installed.\n                           [01]: Intel64 Family 6 Model 85 Stepping 7 GenuineIntel ~2500 Mhz"),
    ("BIOS Version", "Example BIOS 1.0, 1/1/2020"),
    ("Windows Directory", "C:\\Windows"),
    ("System Directory", "C:\\Windows\\system32"),
    ("Boot Device", "\\Device\\HarddiskVolume1"),
    ("System Locale", "en-us;English (United States)"),
    ("Input Locale", "en-us;English (United States)"),
    ("Time Zone", "(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"),
    ("Total Physical Memory", "4,095 MB"),
    ("Available Physical Memory", "2,000 MB"),
    ("Virtual Memory: Max Size", "5,000 MB"),
    ("Virtual Memory: Available", "3,000 MB"),
    ("Virtual Memory: In Use", "2,000 MB"),
    ("Page File Location(s)", "C:\\pagefile.sys"),
    ("Domain", "example.test"),
    ("Logon Server", "\\\\DC01"),
    ("Hotfix(s)", "{hotfixes}"),
    ("Network Card(s)", "1 NIC(s) Installed.\n                           [01]: Example Network Adapter\n                                 [01]: 192.0.2.10"),
    ("Hyper-V Requirements", "A hypervisor has been detected. Features required for Hyper-V will not be displayed."),
]


def hotfix_block(entries: list[str]) -> str:
    lines = [f"{len(entries)} Hotfix(s) Installed."]
    lines += [f"                           [{number:02d}]: {entry}" for number, entry in enumerate(entries, start=1)]
    return "\n".join(lines)


def systeminfo_text(
    entries: list[str] | None = None,
    os_name: str = "Microsoft Windows Server 2022 Datacenter",
    system_type: str = "x64-based PC",
    label: Callable[[int, str], str] | None = None,
) -> str:
    """systeminfo output; label(index, english) gives each field's label (English by default)."""
    values = {"os_name": os_name, "system_type": system_type, "hotfixes": hotfix_block(entries if entries is not None else ["KB5034129"])}
    lines = [""]
    for index, (english, value) in enumerate(SYSTEMINFO_FIELDS):
        name = label(index, english) if label else english
        lines.append(f"{name + ':':<27}{value.format(**values)}".rstrip())
    return "\r\n".join(lines) + "\r\n"


def systeminfo(entries: list[str] | None = None, os_name: str = "Microsoft Windows Server 2022 Datacenter", system_type: str = "x64-based PC") -> bytes:
    return systeminfo_text(entries, os_name, system_type).encode("cp1252")


QFE_TABLE = "".join(
    left + right + "\r\n"
    for left, right in [
        (
            "Caption                                     CSName  Description      FixComments  HotFixID   InstallDate  ",
            "InstalledBy          InstalledOn       Name  ServicePackInEffect  Status  ",
        ),
        (
            "http://support.microsoft.com/?kbid=5034129  WEB01   Security Update               KB5034129               ",
            "NT AUTHORITY\\SYSTEM  1/9/2024                                             ",
        ),
        (
            "                                            WEB01   Update                        File 1                  ",
            "NT AUTHORITY\\SYSTEM                                                       ",
        ),
        (
            "http://support.microsoft.com/?kbid=5012170  WEB01   Security Update               KB5012170               ",
            "NT AUTHORITY\\SYSTEM  01cc3b7a0d2f5c10                                     ",
        ),
    ]
)


# --- decode_evidence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + b"OS Version:\r\n",
        codecs.BOM_UTF16_LE + "OS Version:\r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "OS Version:\r\n".encode("utf-16-be"),
        "OS Version:\r\n".encode("utf-16-le"),
        b"OS Version:\r\r\n",
        b"OS Version:\n",
    ],
    ids=["utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le-no-bom", "wmic-cr-cr-lf", "lf"],
)
def test_decode_evidence_finds_the_encoding_and_makes_line_ends_lf(data: bytes) -> None:
    assert decode_evidence(data, "x.txt") == "OS Version:\n"


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Версия ОС:   6.3.9600 Н/Д построение 9600", "utf-8"),
        ("Версия ОС:   6.3.9600 Н/Д построение 9600", "cp1251"),
        ("Версия ОС:   6.3.9600 Н/Д построение 9600", "cp866"),
        ("Betriebssystemversion:   Größe für Geräte", "cp1252"),
    ],
)
def test_decode_evidence_reads_legacy_code_pages_when_utf8_fails(text: str, encoding: str) -> None:
    assert decode_evidence(text.encode(encoding), "x.txt") == text


def test_decode_evidence_names_the_file_it_cannot_decode() -> None:
    with pytest.raises(HostFactsError, match=r"^broken\.txt: cannot be decoded"):
        decode_evidence(codecs.BOM_UTF16_LE + b"O\x00S", "broken.txt")


def test_decode_evidence_refuses_binary_files() -> None:
    with pytest.raises(HostFactsError, match=r"^image\.png: contains NUL"):
        decode_evidence(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.png")


# --- parse_systeminfo: hand-written -------------------------------------------------------------


def test_systeminfo_facts() -> None:
    facts = parse_systeminfo(systeminfo(["KB5034129", "KB5012170"]), "web01.txt")
    assert facts.product_name == "Windows Server 2022 Datacenter"
    assert facts.build == (20348, 0)
    assert facts.edition_id == "ServerDatacenter"
    assert facts.installation_type == "Server"
    assert facts.architecture == "AMD64"
    assert facts.updates == (InstalledUpdate("KB5034129", "systeminfo"), InstalledUpdate("KB5012170", "systeminfo"))


def test_systeminfo_skips_hotfix_entries_that_are_not_kb_numbers() -> None:
    facts = parse_systeminfo(systeminfo(["File 1", "KB123", "Q147222", "KB958488", "kb976902", "KB958488"]), "old.txt")
    assert [update.kb for update in facts.updates] == ["KB958488", "KB976902"]


def test_systeminfo_without_hotfixes() -> None:
    assert parse_systeminfo(systeminfo([]), "fresh.txt").updates == ()


@pytest.mark.parametrize(
    ("system_type", "architecture"),
    [("x64-based PC", "AMD64"), ("X86-based PC", "x86"), ("ARM64-based PC", "ARM64")],
)
def test_systeminfo_architecture(system_type: str, architecture: str) -> None:
    assert parse_systeminfo(systeminfo(system_type=system_type), "a.txt").architecture == architecture


def test_systeminfo_unknown_architecture_is_an_error() -> None:
    with pytest.raises(HostFactsError, match=r"^a\.txt: System Type 'Alpha-based PC'"):
        parse_systeminfo(systeminfo(system_type="Alpha-based PC"), "a.txt")


@pytest.mark.parametrize(
    ("os_name", "product_name", "edition_id"),
    [
        ("Microsoft Windows Server 2019 Standard", "Windows Server 2019 Standard", "ServerStandard"),
        ("Microsoft Windows Server 2008 R2 Enterprise ", "Windows Server 2008 R2 Enterprise", ""),
        ("Microsoft® Windows Server® 2008 Standard ", "Windows Server 2008 Standard", "ServerStandard"),
        ("Microsoft Windows Server 2022 Datacenter: Azure Edition", "Windows Server 2022 Datacenter: Azure Edition", ""),
    ],
)
def test_systeminfo_product_name_and_edition(os_name: str, product_name: str, edition_id: str) -> None:
    facts = parse_systeminfo(systeminfo(os_name=os_name), "a.txt")
    assert (facts.product_name, facts.edition_id) == (product_name, edition_id)


def test_localized_systeminfo_is_read_by_field_position() -> None:
    text = systeminfo_text(["KB5034129"], os_name="Microsoft Windows Server 2022 Standard", label=lambda index, _: f"Champ numéro {index}")
    facts = parse_systeminfo(text.encode("cp1252"), "fr.txt")
    assert (facts.product_name, facts.current_build, facts.architecture) == ("Windows Server 2022 Standard", 20348, "AMD64")
    assert facts.installed_kbs == {"KB5034129"}


def test_localized_systeminfo_after_a_copied_prompt_line() -> None:
    text = "C:\\Users\\admin>systeminfo\r\n" + systeminfo_text(["KB5034129"], label=lambda index, _: f"Feld {index}")
    assert parse_systeminfo(text.encode(), "de.txt").installed_kbs == {"KB5034129"}


def test_systeminfo_in_utf16_without_bom() -> None:
    facts = parse_systeminfo(systeminfo_text(["KB5034129"]).encode("utf-16-le"), "utf16.txt")
    assert facts.installed_kbs == {"KB5034129"}


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world\r\nthis is not systeminfo\r\n", b"Name:   value\r\nOther:  thing\r\n", QFE_TABLE.encode()],
    ids=["empty", "prose", "labels-without-version", "qfe-output"],
)
def test_garbage_is_not_systeminfo(data: bytes) -> None:
    with pytest.raises(HostFactsError, match=r"^garbage\.txt: not systeminfo output"):
        parse_systeminfo(data, "garbage.txt")


def test_systeminfo_cut_short_is_an_error() -> None:
    text = systeminfo_text().split("Hotfix(s):", maxsplit=1)[0]
    with pytest.raises(HostFactsError, match=r"^short\.txt: the systeminfo field 'Hotfix\(s\)' is missing"):
        parse_systeminfo(text.encode(), "short.txt")


# --- parse_qfe: hand-written --------------------------------------------------------------------


def test_qfe_table_uses_the_header_columns() -> None:
    assert parse_qfe(QFE_TABLE.encode("utf-16"), "qfe.txt") == (
        InstalledUpdate("KB5034129", "qfe", datetime.date(2024, 1, 9)),
        InstalledUpdate("KB5012170", "qfe", None),
    )


def test_qfe_list_brief() -> None:
    text = (
        "Description      FixComments  HotFixID   InstallDate  InstalledBy          InstalledOn  Name  ServicePackInEffect  Status  \r\n"
        "Update                        KB5011497               NT AUTHORITY\\SYSTEM  3/9/2022                                        \r\n"
        "Security Update               KB5012170               NT AUTHORITY\\SYSTEM  8/10/2022                                       \r\n"
    )
    assert parse_qfe(text.encode(), "brief.txt") == (
        InstalledUpdate("KB5011497", "qfe", datetime.date(2022, 3, 9)),
        InstalledUpdate("KB5012170", "qfe", datetime.date(2022, 8, 10)),
    )


def test_qfe_get_hotfixid_installedon_after_a_prompt_line() -> None:
    text = "C:\\>wmic qfe get HotFixID,InstalledOn\r\nHotFixID   InstalledOn  \r\nKB5011497  3/9/2022     \r\nKB5012170               \r\n\r\n"
    assert parse_qfe(text.encode(), "get.txt") == (
        InstalledUpdate("KB5011497", "qfe", datetime.date(2022, 3, 9)),
        InstalledUpdate("KB5012170", "qfe", None),
    )


def test_qfe_csv() -> None:
    text = (
        "\r\r\n"
        "Node,Caption,CSName,Description,FixComments,HotFixID,InstallDate,InstalledBy,InstalledOn,Name,ServicePackInEffect,Status\r\r\n"
        "WEB01,http://support.microsoft.com/?kbid=5011497,WEB01,Update,,KB5011497,,NT AUTHORITY\\SYSTEM,3/9/2022,,,\r\r\n"
        "WEB01,,WEB01,Update,,File 1,,NT AUTHORITY\\SYSTEM,,,,\r\r\n"
        "WEB01,http://support.microsoft.com/?kbid=5012170,WEB01,Security Update,,KB5012170,,NT AUTHORITY\\SYSTEM,8/10/2022,,,\r\r\n"
    )
    assert parse_qfe(text.encode("utf-16"), "qfe.csv") == (
        InstalledUpdate("KB5011497", "qfe", datetime.date(2022, 3, 9)),
        InstalledUpdate("KB5012170", "qfe", datetime.date(2022, 8, 10)),
    )


def test_qfe_value_shifted_by_a_value_wider_than_wmic_counted() -> None:
    text = "HotFixID   InstalledBy                 InstalledOn  Status  \r\nKB2919355  TEST\\Администратор  3/18/2014                \r\n"
    assert parse_qfe(text.encode(), "ru.txt") == (InstalledUpdate("KB2919355", "qfe", datetime.date(2014, 3, 18)),)


@pytest.mark.parametrize(
    ("installed_on", "expected"),
    [
        ("3/9/2022", datetime.date(2022, 3, 9)),
        ("12/31/2021", datetime.date(2021, 12, 31)),
        ("20220309", datetime.date(2022, 3, 9)),
        ("09.03.2022", datetime.date(2022, 3, 9)),
        ("2022-03-09", datetime.date(2022, 3, 9)),
        ("31/12/2021", None),
        ("01cc3b7a0d2f5c10", None),
        ("", None),
    ],
)
def test_qfe_installed_on_formats(installed_on: str, expected: datetime.date | None) -> None:
    text = f"HotFixID   InstalledOn       \r\nKB5011497  {installed_on:<16}  \r\n"
    assert parse_qfe(text.encode(), "dates.txt") == (InstalledUpdate("KB5011497", "qfe", expected),)


def test_qfe_duplicate_kb_keeps_the_first_row_with_a_date() -> None:
    text = "HotFixID   InstalledOn  \r\nKB5011497               \r\nKB5012170  8/10/2022    \r\nKB5011497  3/9/2022     \r\nKB5011497  4/1/2022     \r\n"
    assert parse_qfe(text.encode(), "dup.txt") == (
        InstalledUpdate("KB5011497", "qfe", datetime.date(2022, 3, 9)),
        InstalledUpdate("KB5012170", "qfe", datetime.date(2022, 8, 10)),
    )


def test_qfe_header_without_rows() -> None:
    assert parse_qfe(b"HotFixID   InstalledOn  \r\n", "empty.txt") == ()


@pytest.mark.parametrize(
    "data",
    [b"", b"just some text\r\n", b"Caption  Description  InstalledOn\r\nx  y  1/1/2020\r\n", systeminfo()],
    ids=["empty", "prose", "no-hotfixid-column", "systeminfo-output"],
)
def test_qfe_without_hotfixid_column_is_an_error(data: bytes) -> None:
    with pytest.raises(HostFactsError, match=r"^garbage\.txt: no HotFixID column"):
        parse_qfe(data, "garbage.txt")


# --- the real samples ---------------------------------------------------------------------------


def corpus_bytes(name: str) -> bytes:
    return (Path(CORPUS) / "hotfix" / name).read_bytes()


@needs_corpus
@pytest.mark.parametrize(
    ("name", "product_name", "build", "edition_id", "kbs"),
    [
        ("wesng_srv_2022_systeminfo.txt", "Windows Server 2022 Standard", 20348, "ServerStandard", ["KB5004330", "KB5005039", "KB5005552"]),
        (
            "wesng_srv_2019_rtm_datacenter_en-us_systeminfo.txt",
            "Windows Server 2019 Datacenter",
            17763,
            "ServerDatacenter",
            ["KB4462930", "KB4470788", "KB4480056", "KB4480979", "KB4480116"],
        ),
        (
            "wesng_srv_2016_1607_datacenter_en-us_systeminfo.txt",
            "Windows Server 2016 Datacenter",
            14393,
            "ServerDatacenter",
            ["KB4049065", "KB4091664", "KB4132216", "KB4465659", "KB4483229"],
        ),
        ("wesng_srv_2008r2_sp1_x64_standard_en-us_systeminfo.txt", "Windows Server 2008 R2 Standard", 7601, "ServerStandard", ["KB958488", "KB976902"]),
        (
            # Russian labels, read by position; the OS name starts with 'Майкрософт Ознакомительная версия' (evaluation copy).
            "wesng_srv_2012r2_x64_standard_ru_systeminfo.txt",
            "Windows Server 2012 R2 Standard",
            9600,
            "ServerStandard",
            ["KB2919355", "KB2919442", "KB2937220", "KB2938772", "KB2939471", "KB2949621", "KB2999226"],
        ),
    ],
)
def test_real_systeminfo(name: str, product_name: str, build: int, edition_id: str, kbs: list[str]) -> None:
    facts = parse_systeminfo(corpus_bytes(name), name)
    assert facts.product_name == product_name
    assert facts.build == (build, 0)
    assert facts.edition_id == edition_id
    assert facts.architecture == "AMD64"
    assert facts.installation_type == "Server"
    assert [update.kb for update in facts.updates] == kbs
    assert {update.source for update in facts.updates} == {"systeminfo"}


@needs_corpus
def test_real_systeminfo_with_154_hotfixes() -> None:
    facts = parse_systeminfo(corpus_bytes("wesng_srv_2012r2_u1_systeminfo.txt"), "u1")
    assert (facts.product_name, facts.current_build) == ("Windows Server 2012 R2 Standard", 9600)
    assert len(facts.updates) == 154  # the file says "154 Hotfix(s) Installed."
    assert (facts.updates[0].kb, facts.updates[-1].kb) == ("KB2894852", "KB4489881")


@needs_corpus
def test_real_qfe_in_utf16_with_bom() -> None:
    updates = parse_qfe(corpus_bytes("wesng_srv_2012r2_u1_qfe.txt"), "u1_qfe")
    assert len(updates) == 154
    assert updates[0] == InstalledUpdate("KB2894852", "qfe", datetime.date(2019, 3, 17))
    assert InstalledUpdate("KB2919355", "qfe", datetime.date(2014, 3, 18)) in updates
    assert all(update.installed_on is not None for update in updates)


@needs_corpus
def test_real_qfe_lists_the_same_updates_as_systeminfo_of_the_same_host() -> None:
    systeminfo_kbs = parse_systeminfo(corpus_bytes("wesng_srv_2012r2_u1_systeminfo.txt"), "u1").installed_kbs
    assert {update.kb for update in parse_qfe(corpus_bytes("wesng_srv_2012r2_u1_qfe.txt"), "u1_qfe")} == systeminfo_kbs


@needs_corpus
def test_real_russian_qfe() -> None:
    # A 'cat q' prompt line precedes the header; the Cyrillic user names end short of the
    # InstalledOn column, so the dates sit left of their header; the last line has no line end.
    updates = parse_qfe(corpus_bytes("wesng_srv_2012r2_x64_standard_ru_qfe.txt"), "ru_qfe")
    march_2014 = datetime.date(2014, 3, 18)
    assert updates == (
        InstalledUpdate("KB2919355", "qfe", march_2014),
        InstalledUpdate("KB2919442", "qfe", march_2014),
        InstalledUpdate("KB2937220", "qfe", march_2014),
        InstalledUpdate("KB2938772", "qfe", march_2014),
        InstalledUpdate("KB2939471", "qfe", march_2014),
        InstalledUpdate("KB2949621", "qfe", march_2014),
        InstalledUpdate("KB2999226", "qfe", datetime.date(2020, 4, 17)),
    )
    systeminfo_kbs = parse_systeminfo(corpus_bytes("wesng_srv_2012r2_x64_standard_ru_systeminfo.txt"), "ru").installed_kbs
    assert {update.kb for update in updates} == systeminfo_kbs
