# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secrets in IIS and .NET configuration, found and replaced by a marker before anything is shown.

Diffs, findings and reports show configuration files and values; some of those values are
secrets. A value is a secret

* by schema: the attributes IIS's own schema marks ``encrypted="true"`` (the identity
  password of application pools, virtual directories and their defaults, anonymous
  authentication, ODBC logging, client certificate mappings, IIS Manager users,
  shared configuration, the FTP server's) and those of the .NET schema that hold keys,
  passwords and connection strings (:data:`SCHEMA_SECRETS`);
* by name: an attribute whose name ends in password, pwd, secret, token, key or
  connectionString (``adPassword``, ``clientSecret``, ``sessionKey``; not ``key`` itself,
  which names an ``appSettings`` entry, nor ``publicKey``/``publicKeyToken``), and the
  ``value`` of an entry whose ``key`` or ``name`` mentions a password, secret, token, key,
  credential or connection string (``<add key="Smtp.Password" value="..."/>``, and the
  ``<value>`` of such an ``applicationSettings`` ``<setting>``), and the text of an element
  so named (``<password>...</password>``);
* by form: a value IIS encrypted (``[enc:AesProvider:...:enc]``), the ``Password=``/``Pwd=``
  part of a connection string in any value, and the whole content of an encrypted
  section (``<EncryptedData>``, what ``aspnet_regiis -pe`` leaves).

Values that carry no secret stay readable: an empty value, ``true``/``false`` of a switch
whose name only looks like a secret (``passAnonymousToken``), and the ``AutoGenerate``
settings of ``machineKey``.

A document that parses (``xmldoc``) is redacted at the byte spans of its attributes and
text, so exactly the secret values change; comments and connection strings inside other
values are then scanned by pattern. A document that does not parse is redacted by pattern
alone (tags, attributes, connection strings, encrypted blocks), conservatively. Every
redaction keeps the line: the value is replaced by :data:`MARKER` and line breaks inside it
are kept, so a diff of two redacted files lines up with the diff of the files.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping

from .errors import ConfigError
from .xmldoc import Element, XmlDocument, parse_document

MARKER = "[redacted]"
"""What a secret value is replaced by."""

SCHEMA_SECRETS: tuple[tuple[str, str], ...] = (
    ("system.applicationHost/applicationPools/add/processModel", "password"),
    ("system.applicationHost/applicationPools/applicationPoolDefaults/processModel", "password"),
    ("system.applicationHost/sites/site/application/virtualDirectory", "password"),
    ("system.applicationHost/sites/site/application/virtualDirectoryDefaults", "password"),
    ("system.applicationHost/sites/site/virtualDirectoryDefaults", "password"),
    ("system.applicationHost/sites/virtualDirectoryDefaults", "password"),
    ("system.applicationHost/sites/siteDefaults/ftpServer/security/authentication/anonymousAuthentication", "password"),
    ("system.applicationHost/sites/siteDefaults/ftpServer/userIsolation/activeDirectory", "adPassword"),
    ("system.ftpServer/providerDefinitions/activation/providerData/add", "encryptedValue"),
    ("system.webServer/security/authentication/anonymousAuthentication", "password"),
    ("system.webServer/security/authentication/iisClientCertificateMappingAuthentication/manyToOneMappings/add", "password"),
    ("system.webServer/security/authentication/iisClientCertificateMappingAuthentication/oneToOneMappings/add", "password"),
    ("system.webServer/odbcLogging", "password"),
    ("system.webServer/management/authentication/credentials/add", "password"),
    ("administrators/managementScope/add", "password"),
    ("configurationRedirection", "password"),
    ("configProtectedData/providers/add", "sessionKey"),
    ("connectionStrings/add", "connectionString"),
    ("system.web/authentication/forms/credentials/user", "password"),
    ("system.web/identity", "password"),
    ("system.web/processModel", "password"),
    ("system.web/machineKey", "validationKey"),
    ("system.web/machineKey", "decryptionKey"),
    ("system.web/sessionState", "sqlConnectionString"),
    ("system.web/sessionState", "stateConnectionString"),
    ("system.net/mailSettings/smtp/network", "password"),
)
"""Where the IIS schema (``encrypted="true"``) and the .NET schema keep secrets: (element path, attribute).

The attribute names are secret wherever they appear; the paths say where the schemas define them."""

_SCHEMA_SECRET_NAMES = frozenset(attribute.casefold() for _path, attribute in SCHEMA_SECRETS)
_SECRET_NAME_END = re.compile(r"(?:password|passwd|passphrase|pwd|secret|token|key|connectionstring|connstring|connstr)$")
_SECRET_ENTRY_NAME = re.compile(r"password|passwd|passphrase|pwd|secret|token|key|credential|connectionstring|connstr")
_NOT_SECRET_NAMES = frozenset({"key"})
_ENTRY_NAMES = ("key", "name")
_ENCRYPTED_VALUE = re.compile(r"^\s*\[enc:[^\]]*:enc\]\s*$", re.IGNORECASE)
_NO_SECRET_VALUE = re.compile(r"^\s*(?:AutoGenerate(?:\s*,\s*\w+)*)?\s*$", re.IGNORECASE)
_SWITCH = re.compile(r"^\s*(?:true|false)\s*$", re.IGNORECASE)
_ENCRYPTED_ELEMENTS = frozenset({"encrypteddata"})

_TAG = re.compile(r"<(?![!?/])([^\s<>/=\"']+)([^<>]*)")
_ATTRIBUTE = re.compile(r"([^\s=<>\"'/]+)(\s*=\s*)(?:\"([^\"]*)\"|'([^']*)')")
_CONNECTION_SECRET = re.compile(
    r"\b((?:password|pwd|accountkey|sharedaccesskey|sharedsecret)\s*=\s*)"
    r"((?:(?!&quot;|&apos;|&#34;|&#39;)[^\s;\"'<>])(?:(?!&quot;|&apos;|&#34;|&#39;)[^;\"'<>\r\n])*)",
    re.IGNORECASE,
)
_SECRET_ELEMENT_TEXT = re.compile(r"<((?:[\w.-]+:)?[\w.-]+)(\s[^<>]*)?>([^<]+)(?=</\1\s*>)")
_SETTING_VALUE = re.compile(r"(<setting\b[^<>]*>\s*<value\s*>)([^<]*)(?=</value\s*>)", re.IGNORECASE)
_ENCRYPTED_BLOCK = re.compile(r"(<(?:[\w.-]+:)?EncryptedData\b[^<>]*(?<!/)>)(.*?)(?=</(?:[\w.-]+:)?EncryptedData\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(r"(<[^<>]*>?)")


# -- what is a secret ---------------------------------------------------------------------------
def _folded(name: str) -> str:
    """A name without case and separators: ``X-Api-Key`` and ``client_secret`` read as words do."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def _local(name: str) -> str:
    """An element or attribute name without its namespace prefix."""
    return name.rpartition(":")[2]


def secret_name(name: str) -> bool:
    """Whether an attribute or registry value name says it holds a secret (``password``, ``clientSecret``, ``validationKey``)."""
    folded = _folded(_local(name))
    if folded in _SCHEMA_SECRET_NAMES:
        return True
    return bool(_SECRET_NAME_END.search(folded)) and folded not in _NOT_SECRET_NAMES and not folded.startswith("public")


def secret_entry_name(name: str) -> bool:
    """Whether the ``key`` or ``name`` of a name/value entry says its value is a secret (``Smtp.Password``, ``ApiKey``)."""
    return bool(_SECRET_ENTRY_NAME.search(_folded(name)))


def secret_attribute(attribute: str, attributes: Mapping[str, str | None] | None = None) -> bool:
    """Whether an attribute holds a secret, by schema or by name, wherever it appears; ``attributes`` are its element's (for ``key``/``name``)."""
    if secret_name(attribute):
        return True
    if _local(attribute).casefold() != "value" or not attributes:
        return False
    return any(name.casefold() in _ENTRY_NAMES and value is not None and secret_entry_name(value) for name, value in attributes.items())


def _carries_no_secret(attribute: str, value: str) -> bool:
    """An empty value, a machineKey AutoGenerate setting, or true/false of a name that only looks secret."""
    if _ENCRYPTED_VALUE.match(value):
        return False
    if _NO_SECRET_VALUE.match(value):
        return True
    return _folded(_local(attribute)) not in _SCHEMA_SECRET_NAMES and bool(_SWITCH.match(value))


def hides(attribute: str, value: str, attributes: Mapping[str, str | None] | None = None) -> bool:
    """Whether the value must be redacted: a secret (or a value IIS encrypted) that is not empty or a plain switch."""
    if _ENCRYPTED_VALUE.match(value):
        return True
    return secret_attribute(attribute, attributes) and not _carries_no_secret(attribute, value)


def shown_value(attribute: str, value: str | None, attributes: Mapping[str, str | None] | None = None) -> str | None:
    """The value of ``attribute`` as it may be shown: :data:`MARKER` for a secret, else the value itself."""
    if value is None or not hides(attribute, value, attributes):
        return value
    return mask(value)


def mask(value: str) -> str:
    """Each line of ``value`` with text on it becomes :data:`MARKER` (leading and trailing blanks and line breaks are kept)."""
    lines = value.split("\n")
    return "\n".join(_masked_line(line) for line in lines)


def _masked_line(line: str) -> str:
    """The line with its text, between leading and trailing blanks, replaced by :data:`MARKER`."""
    core = line.strip(" \t\r")
    if not core:
        return line
    start = line.index(core[0])
    return line[:start] + MARKER + line[start + len(core) :]


def redact_text(text: str) -> str:
    """Secrets in any text (a message, a connection string) replaced by pattern: attributes, ``Password=`` parts."""
    return _redact_connection_secrets(_redact_tags(text))


# -- documents ------------------------------------------------------------------------------------
def readable(data: bytes) -> str:
    """A configuration file's bytes as text (UTF-8, or UTF-16 by its byte order mark), undecodable bytes replaced."""
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(b"<\x00?\x00"):
        return data.decode("utf-16-le", "replace").lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF16_BE) or data.startswith(b"\x00<\x00?"):
        return data.decode("utf-16-be", "replace").lstrip("\ufeff")
    return data.decode("utf-8-sig", "replace")


def redact_document(data: bytes, name: str = "") -> str:
    """The text of a configuration file with every secret replaced by :data:`MARKER`, line for line."""
    try:
        document = parse_document(name or "configuration file", data)
    except (ConfigError, ValueError):
        return redact_unparsed(readable(data))
    return _redact_connection_secrets(_redact_tags(_redact_spans(document)))


def redact_unparsed(text: str) -> str:
    """The conservative redaction of text that is not well-formed XML, by pattern alone."""
    text = _ENCRYPTED_BLOCK.sub(lambda m: m.group(1) + _mask_text_between_tags(m.group(2)), text)
    text = _SECRET_ELEMENT_TEXT.sub(_redact_element_text, text)
    text = _SETTING_VALUE.sub(_redact_setting_value, text)
    text = _ATTRIBUTE.sub(_redact_loose_attribute, _redact_tags(text))
    return _redact_connection_secrets(text)


def document_text(data: bytes | None, name: str = "", *, show_secrets: bool = False) -> str:
    """A file's text for a diff or a report: redacted unless ``show_secrets``; empty for a file that does not exist."""
    if not data:
        return ""
    return readable(data) if show_secrets else redact_document(data, name)


# -- redaction by span (a parsed document) --------------------------------------------------------
def _redact_spans(document: XmlDocument) -> str:
    spans = sorted(set(_secret_spans(document.root)))
    text = document.text
    parts: list[str] = []
    position = 0
    for start, end in spans:
        if start < position:
            continue
        parts.append(text[position:start].decode("utf-8"))
        parts.append(mask(text[start:end].decode("utf-8")))
        position = end
    parts.append(text[position:].decode("utf-8"))
    return "".join(parts)


def _secret_spans(root: Element) -> Iterable[tuple[int, int]]:
    """The byte ranges of secret attribute values and secret text in the document, walked without recursion."""
    stack: list[tuple[Element, Element | None, bool]] = [(root, None, False)]
    while stack:
        element, parent, encrypted = stack.pop()
        attributes = element.attrs
        for attribute in element.attributes:
            if hides(attribute.name, attribute.value, attributes):
                yield attribute.value_start, attribute.value_end
        inside = encrypted or _local(element.name).casefold() in _ENCRYPTED_ELEMENTS
        if inside or secret_name(element.name) or _is_secret_setting_value(element, parent):
            yield from _text_spans(element)
        stack.extend((child, element, inside) for child in element.children)


def _is_secret_setting_value(element: Element, parent: Element | None) -> bool:
    """``<setting name="ApiKey"><value>...</value></setting>`` of applicationSettings."""
    if parent is None or _local(element.name).casefold() != "value":
        return False
    return any(parent.get(name) is not None and secret_entry_name(str(parent.get(name))) for name in _ENTRY_NAMES)


def _text_spans(element: Element) -> Iterable[tuple[int, int]]:
    """The ranges of text directly inside ``element``, between its tags and its children."""
    if element.self_closing:
        return
    position = element.start_tag_end
    for child in element.children:
        if child.start > position:
            yield position, child.start
        position = child.end
    if element.end_tag_start > position:
        yield position, element.end_tag_start


# -- redaction by pattern ----------------------------------------------------------------------------
def _redact_tags(text: str) -> str:
    return _TAG.sub(_redact_tag, text)


def _redact_tag(match: re.Match[str]) -> str:
    element, body = match.group(1), match.group(2)
    found = list(_ATTRIBUTE.finditer(body))
    attributes: dict[str, str | None] = {m.group(1): _attribute_value(m) for m in found}
    parts: list[str] = []
    position = 0
    for attribute in found:
        value = _attribute_value(attribute)
        if not hides(attribute.group(1), value, attributes):
            continue
        group = 3 if attribute.group(3) is not None else 4
        parts.append(body[position : attribute.start(group)])
        parts.append(mask(value))
        position = attribute.end(group)
    parts.append(body[position:])
    return "<" + element + "".join(parts)


def _redact_loose_attribute(match: re.Match[str]) -> str:
    """A ``name="value"`` anywhere (a tag the pattern for tags missed in a broken file), judged by its name alone."""
    value = _attribute_value(match)
    if not hides(match.group(1), value):
        return match.group(0)
    group = 3 if match.group(3) is not None else 4
    return match.group(0)[: match.start(group) - match.start(0)] + mask(value) + match.group(0)[match.end(group) - match.start(0) :]


def _attribute_value(match: re.Match[str]) -> str:
    return match.group(3) if match.group(3) is not None else match.group(4)


def _redact_connection_secrets(text: str) -> str:
    return _CONNECTION_SECRET.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == MARKER else MARKER), text)


def _redact_element_text(match: re.Match[str]) -> str:
    if not secret_name(match.group(1)):
        return match.group(0)
    return match.group(0)[: match.start(3) - match.start(0)] + mask(match.group(3))


def _redact_setting_value(match: re.Match[str]) -> str:
    names = [m.group(3) or m.group(4) or "" for m in _ATTRIBUTE.finditer(match.group(1)) if m.group(1).casefold() in _ENTRY_NAMES]
    return match.group(1) + (mask(match.group(2)) if any(secret_entry_name(n) for n in names) else match.group(2))


def _mask_text_between_tags(text: str) -> str:
    return "".join(part if part.startswith("<") else mask(part) for part in _MARKUP.split(text))
