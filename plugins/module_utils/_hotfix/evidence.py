# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host facts from evidence files of machines Ansible cannot reach: ``systeminfo`` and ``wmic qfe``.

An administrator runs ``systeminfo > systeminfo.txt`` and ``wmic qfe > qfe.txt`` on the server
and hands over the files. They arrive in whatever encoding the console wrote (``wmic`` writes
UTF-16LE, ``systeminfo`` the console code page, editors may have re-saved them as UTF-8) and with
labels in the language of the server; :func:`decode_evidence` and the two parsers take them as
they come. Every error is a :class:`HostFactsError` whose message starts with the file's name.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFacts, HostFactsError, InstalledUpdate, normalize_kb

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UTF16_SNIFF_BYTES = 64
_LINE_BREAK = re.compile(r"\r*\n|\r")

_KB_AT_START = re.compile(r"^(KB\d{6,8})(?!\d)", re.IGNORECASE)
"""A KB number of 6 to 8 digits; older systeminfo also lists items like 'File 1' or 'Q147222'."""

_LABEL_END = re.compile(r"^\S.*?:\s+(?=\S)")
_LIST_ENTRY = re.compile(r"^\s+\[\d+\]:\s*(.*?)\s*$")
_WINDOWS_VERSION = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)")

# systeminfo prints its fields in this order in every language; localized output is read by position.
_OS_NAME, _OS_VERSION, _SYSTEM_TYPE, _HOTFIXES = "OS Name", "OS Version", "System Type", "Hotfix(s)"
_FIELD_POSITIONS = {_OS_NAME: 1, _OS_VERSION: 2, _SYSTEM_TYPE: 13, _HOTFIXES: 30}
"""Host Name is field 0; then OS Name, OS Version, ..., System Type (13), ..., Hotfix(s) (30), Network Card(s)."""

_ARCHITECTURES = (("x64-", "AMD64"), ("x86-", "x86"), ("arm64-", "ARM64"))
"""System Type ('x64-based PC') is not translated; it maps to PROCESSOR_ARCHITECTURE."""

_EDITIONS = (("Datacenter", "ServerDatacenter"), ("Standard", "ServerStandard"))

_TABLE_CELL = re.compile(r"\S+(?: \S+)*")
"""wmic separates its columns by at least two spaces; a value may contain single spaces ('Security Update')."""

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


# --- decoding -----------------------------------------------------------------------------------


def decode_evidence(data: bytes, source: str) -> str:
    """The text of an evidence file with LF line ends.

    A byte order mark decides (UTF-8, UTF-16LE, UTF-16BE); without one, a start whose every other
    byte is NUL is UTF-16LE (``wmic`` output with the BOM cut off); else UTF-8, and only when that
    fails a legacy code page: cp1251 (or the console's cp866) for Cyrillic text, cp1252 otherwise.
    """
    try:
        text = _decode_text(data)
    except UnicodeDecodeError as error:
        raise HostFactsError(f"{source}: cannot be decoded as text ({error.encoding}: {error.reason} at byte {error.start})") from None
    if "\x00" in text:
        raise HostFactsError(f"{source}: contains NUL characters; this is not a text file from systeminfo or wmic")
    return _LINE_BREAK.sub("\n", text)


def _decode_text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    if _looks_like_utf16le(data):
        return data.decode("utf-16-le")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy_code_page(data)


def _looks_like_utf16le(data: bytes) -> bool:
    start = data[:_UTF16_SNIFF_BYTES]
    return len(start) >= 2 and not any(start[1::2]) and any(start[0::2])


def _decode_legacy_code_page(data: bytes) -> str:
    if not _non_ascii_bytes_form_words(data):
        western = _decode_or_none(data, "cp1252")
        return western if western is not None else data.decode("cp1251")
    candidates = [text for text in (_decode_or_none(data, "cp1251"), data.decode("cp866")) if text is not None]
    return max(candidates, key=_share_of_letters_beyond_ascii)


def _decode_or_none(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _non_ascii_bytes_form_words(data: bytes) -> bool:
    """Cyrillic words are runs of bytes above 0x7F; Western accents stand alone between ASCII letters."""
    high = [index for index, byte in enumerate(data) if byte > 0x7F]
    in_runs = sum(1 for index in high if (index > 0 and data[index - 1] > 0x7F) or (index + 1 < len(data) and data[index + 1] > 0x7F))
    return in_runs * 2 > len(high)


def _share_of_letters_beyond_ascii(text: str) -> float:
    beyond_ascii = [char for char in text if ord(char) > 0x7F]
    return sum(1 for char in beyond_ascii if char.isalpha()) / max(len(beyond_ascii), 1)


# --- systeminfo ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    """One systeminfo field: the label, the value on its line and the '[NN]: ...' entries under it."""

    label: str
    value: str
    entries: tuple[str, ...]


def parse_systeminfo(data: bytes, source: str) -> HostFacts:
    """Host facts from the output of ``systeminfo`` (English or localized).

    English labels are matched by name; localized output is read by the position of each field,
    counted from the OS Version field (the first whose value starts with a version like 6.3.9600).

    What systeminfo cannot tell is filled in as follows:

    * ``ubr`` is 0: systeminfo reports the build (20348) but not the update build revision
      (UBR), so a build such as 10.0.20348.2227 cannot be told; the KB list is the evidence.
    * ``installation_type`` is "Server": Server Core and Server with Desktop Experience print the
      same fields.
    * ``edition_id`` is derived from the OS name (Standard, Datacenter), else "".
    * ``product_name`` drops the vendor ("Microsoft ", or its translation) and anything else before
      "Windows", e.g. the Russian word for an evaluation copy.

    Hotfix entries that are not a KB number of 6 to 8 digits ('File 1', 'Q147222') are skipped.
    """
    lines = decode_evidence(data, source).split("\n")
    fields = _systeminfo_fields(lines, source)
    os_name = _required_field(fields, _OS_NAME, source).value
    product_name = _product_name(os_name)
    return HostFacts(
        product_name=product_name,
        current_build=_current_build(_required_field(fields, _OS_VERSION, source).value, source),
        ubr=0,
        edition_id=_edition_id(product_name),
        installation_type="Server",
        architecture=_architecture(_required_field(fields, _SYSTEM_TYPE, source).value, source),
        updates=_deduplicate(_systeminfo_updates(_required_field(fields, _HOTFIXES, source))),
    )


def _systeminfo_fields(lines: Sequence[str], source: str) -> dict[str, _Field]:
    """The fields this module reads, by their English label."""
    column = _value_column(lines)
    if column is None:
        raise HostFactsError(f"{source}: not systeminfo output (no 'Label:   value' lines)")
    fields = _split_fields(lines, column)
    by_english_label = {field.label.casefold(): field for field in fields}
    if _OS_VERSION.casefold() in by_english_label:
        return {name: by_english_label[name.casefold()] for name in _FIELD_POSITIONS if name.casefold() in by_english_label}
    return _fields_by_position(fields, source)


def _value_column(lines: Sequence[str]) -> int | None:
    """Where values start: systeminfo pads every label to the same width."""
    starts = Counter(match.end() for line in lines if (match := _LABEL_END.match(line)))
    return starts.most_common(1)[0][0] if starts else None


def _split_fields(lines: Sequence[str], column: int) -> list[_Field]:
    return [_field_from_block(block, column) for block in _blocks(lines)]


def _blocks(lines: Sequence[str]) -> list[list[str]]:
    """A field's line (it starts in column 0) and the indented lines under it."""
    blocks: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if not line[0].isspace():
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    return blocks


def _field_from_block(block: Sequence[str], column: int) -> _Field:
    first = block[0]
    entries = (match.group(1) for line in block[1:] if (match := _LIST_ENTRY.match(line)))
    return _Field(first[:column].strip().rstrip(":").strip(), first[column:].strip(), tuple(entries))


def _fields_by_position(fields: Sequence[_Field], source: str) -> dict[str, _Field]:
    anchor = next((index for index, field in enumerate(fields) if _WINDOWS_VERSION.match(field.value)), None)
    if anchor is None:
        raise HostFactsError(f"{source}: not systeminfo output (no OS Version field with a version like 10.0.20348)")
    first = anchor - _FIELD_POSITIONS[_OS_VERSION]
    found: dict[str, _Field] = {}
    for name, position in _FIELD_POSITIONS.items():
        if 0 <= first + position < len(fields):
            found[name] = fields[first + position]
    return found


def _required_field(fields: dict[str, _Field], name: str, source: str) -> _Field:
    if name not in fields:
        raise HostFactsError(f"{source}: the systeminfo field {name!r} is missing (or its position, in localized output); is the file cut short?")
    return fields[name]


def _product_name(os_name: str) -> str:
    name = " ".join(os_name.replace("®", "").replace("™", "").split())
    windows = name.find("Windows")
    if windows > 0:
        return name[windows:]
    return name.removeprefix("Microsoft ")


def _current_build(os_version: str, source: str) -> int:
    match = _WINDOWS_VERSION.match(os_version)
    if match is None:
        raise HostFactsError(f"{source}: OS Version {os_version!r} has no build number (expected e.g. '10.0.20348 N/A Build 20348')")
    return int(match.group(3))


def _edition_id(product_name: str) -> str:
    words = product_name.replace(":", " ").split()
    if "Azure" in words:
        return ""
    return next((edition for word, edition in _EDITIONS if word in words), "")


def _architecture(system_type: str, source: str) -> str:
    folded = system_type.casefold()
    for prefix, architecture in _ARCHITECTURES:
        if folded.startswith(prefix):
            return architecture
    raise HostFactsError(f"{source}: System Type {system_type!r} is not x64-, x86- or ARM64-based")


def _systeminfo_updates(hotfixes: _Field) -> list[InstalledUpdate]:
    return [InstalledUpdate(kb, "systeminfo") for kb in (_kb_or_none(entry, "systeminfo") for entry in hotfixes.entries) if kb]


def _kb_or_none(text: str, where: str) -> str | None:
    match = _KB_AT_START.match(text.strip())
    return normalize_kb(match.group(1), where) if match else None


# --- wmic qfe -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    name: str
    """Casefolded header, e.g. 'hotfixid'."""
    start: int


def parse_qfe(data: bytes, source: str) -> tuple[InstalledUpdate, ...]:
    """Installed updates from ``wmic qfe`` output.

    Accepted forms: the default table (``wmic qfe``, ``wmic qfe list``), tables with fewer columns
    (``wmic qfe list brief``, ``wmic qfe get HotFixID,InstalledOn``) and CSV
    (``wmic qfe list /format:csv``). Lines before the header (a copied prompt) are ignored.
    InstalledOn is read as M/D/YYYY, YYYYMMDD, DD.MM.YYYY or YYYY-MM-DD; other values (wmic
    sometimes prints a hexadecimal timestamp) leave the date unknown. Rows whose HotFixID is not a
    KB number ('File 1') are skipped; a KB listed twice is kept once, with a date if any row has one.
    """
    lines = decode_evidence(data, source).split("\n")
    for index, line in enumerate(lines):
        if _is_csv_header(line):
            return _deduplicate(_qfe_updates(_csv_rows(lines[index:]), source))
        columns = _table_columns(line)
        if any(column.name == "hotfixid" for column in columns):
            table_rows = (_table_row(row, columns) for row in lines[index + 1 :] if row.strip())
            return _deduplicate(_qfe_updates(table_rows, source))
    raise HostFactsError(
        f"{source}: no HotFixID column; expected the output of 'wmic qfe' (a table, 'list brief', 'get HotFixID,InstalledOn' or '/format:csv')"
    )


def _is_csv_header(line: str) -> bool:
    return "," in line and "hotfixid" in (name.strip().casefold() for name in line.split(","))


def _csv_rows(lines: Sequence[str]) -> list[dict[str, str]]:
    reader = csv.reader(line for line in lines if line.strip())
    header = [name.strip().casefold() for name in next(reader)]
    return [dict(zip(header, (value.strip() for value in row), strict=False)) for row in reader]


def _table_columns(line: str) -> list[_Column]:
    return [_Column(match.group().casefold(), match.start()) for match in re.finditer(r"\S+", line)]


def _table_row(line: str, columns: Sequence[_Column]) -> dict[str, str]:
    """The row's values by column.

    Each value starts where its column's header starts. When it does not, a value before it was
    wider or narrower than wmic counted (non-ASCII text, or a value edited by hand, like the user
    names in the Russian WES-NG sample): the value goes to the nearest remaining column and the
    shift applies to the rest of the row.
    """
    row: dict[str, str] = {}
    shift, next_column = 0, 0
    for match in _TABLE_CELL.finditer(line):
        index = _nearest_column(columns, match.start() + shift, next_column)
        if index is None:
            break
        row[columns[index].name] = match.group()
        shift = columns[index].start - match.start()
        next_column = index + 1
    return row


def _nearest_column(columns: Sequence[_Column], position: int, first: int) -> int | None:
    remaining = range(first, len(columns))
    return min(remaining, key=lambda index: abs(columns[index].start - position), default=None)


def _qfe_updates(rows: Iterable[dict[str, str]], source: str) -> list[InstalledUpdate]:
    updates: list[InstalledUpdate] = []
    for row in rows:
        kb = _kb_or_none(row.get("hotfixid", ""), source)
        if kb:
            updates.append(InstalledUpdate(kb, "qfe", _installed_on(row.get("installedon", ""))))
    return updates


def _installed_on(text: str) -> datetime.date | None:
    value = text.strip()
    for pattern, order in ((_US_DATE, (3, 1, 2)), (_COMPACT_DATE, (1, 2, 3)), (_DOTTED_DATE, (3, 2, 1)), (_ISO_DATE, (1, 2, 3))):
        match = pattern.match(value)
        if match:
            year, month, day = (int(match.group(group)) for group in order)
            return _date_or_none(year, month, day)
    return None


def _date_or_none(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


# --- shared -------------------------------------------------------------------------------------


def _deduplicate(updates: Iterable[InstalledUpdate]) -> tuple[InstalledUpdate, ...]:
    """One update per KB, in the order first seen; a dated row wins over an undated one."""
    kept: dict[str, InstalledUpdate] = {}
    for update in updates:
        known = kept.get(update.kb)
        if known is None or (known.installed_on is None and update.installed_on is not None):
            kept[update.kb] = update
    return tuple(kept.values())
