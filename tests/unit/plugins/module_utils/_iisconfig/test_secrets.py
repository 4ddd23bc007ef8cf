# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets in configuration files are redacted for display, each kind, line for line; nothing else changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import (
    MARKER,
    SCHEMA_SECRETS,
    document_text,
    redact_document,
    redact_text,
    secret_attribute,
    secret_name,
    shown_value,
)

ROOT = Path(__file__).resolve().parents[5]
SHOP = ROOT / "inventories" / "lab" / "snapshots" / "web01" / "files" / "C" / "inetpub" / "shop" / "web.config"
CORPUS = Path(os.environ.get("HARDENED_IIS_CORPUS") or ROOT.parent / "shared" / "corpus")

APPHOST = b"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <configProtectedData>
    <providers>
      <add name="AesProvider" type="Microsoft.ApplicationHost.AesProtectedConfigurationProvider" keyContainerName="iisConfigurationKey"
           sessionKey="AQIAAA5mAAAApAAAsessionkeysecret=" />
    </providers>
  </configProtectedData>
  <system.applicationHost>
    <applicationPools>
      <add name="ShopPool">
        <processModel identityType="SpecificUser" userName="CORP\\svc-shop" password="PoolPass1!" />
      </add>
      <add name="EncPool">
        <processModel identityType="SpecificUser" userName="CORP\\svc-enc" password="[enc:IISWASOnlyCngProvider:AbCdEf0123:enc]" />
      </add>
      <applicationPoolDefaults>
        <processModel identityType="ApplicationPoolIdentity" password="" />
      </applicationPoolDefaults>
    </applicationPools>
    <sites>
      <site name="Shop" id="2">
        <application path="/">
          <virtualDirectoryDefaults userName="CORP\\share" password="VdirDefaultsPass" />
          <virtualDirectory path="/" physicalPath="\\\\files\\shop" userName="CORP\\share" password="UncPass2!" />
        </application>
        <virtualDirectoryDefaults password="SiteVdirPass" />
      </site>
      <virtualDirectoryDefaults password="ServerVdirPass" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <security>
      <authentication>
        <anonymousAuthentication enabled="true" userName="IUSR_SHOP" password="AnonPass3!" />
      </authentication>
    </security>
    <odbcLogging dataSource="logs" tableName="w3c" userName="logger" password="OdbcPass4!" />
  </system.webServer>
  <system.ftpServer>
    <providerDefinitions>
      <activation>
        <providerData name="AspNetAuth">
          <add key="connectionString" encryptedValue="FtpEncryptedValue5" />
        </providerData>
      </activation>
    </providerDefinitions>
  </system.ftpServer>
</configuration>
"""
APPHOST_SECRETS = (
    "AQIAAA5mAAAApAAAsessionkeysecret=",
    "PoolPass1!",
    "AbCdEf0123",
    "VdirDefaultsPass",
    "UncPass2!",
    "SiteVdirPass",
    "ServerVdirPass",
    "AnonPass3!",
    "OdbcPass4!",
    "FtpEncryptedValue5",
)

WEB_CONFIG = b"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <appSettings>
    <add key="webpages:Version" value="3.0.0.0" />
    <add key="Smtp.Password" value="SmtpAppSetting6" />
    <add key="Stripe.ApiKey" value="sk_live_ApiKey7" />
    <add key="Auth0:ClientSecret" value="ClientSecret8" />
    <add key="Jwt.SigningToken" value="JwtToken9" />
    <add key="FeatureTokenEnabled" value="true" />
    <add key="Reporting" value="Server=db01;Database=rep;User Id=rep;Password=InlineConn10;Encrypt=True" />
  </appSettings>
  <connectionStrings>
    <add name="Shop" connectionString="Server=db01;Database=shop;User Id=shop;Password=ConnString11;" providerName="System.Data.SqlClient" />
    <add name="Entities" connectionString="metadata=res://*/Model.csdl;provider connection string=&quot;data source=db02;password=EfConn12;App=EF&quot;" />
  </connectionStrings>
  <system.web>
    <machineKey validationKey="0A1B2C3D4E5F60718293A4B5C6D7E8F9ValidationKey13" decryptionKey="AutoGenerate,IsolateApps" validation="HMACSHA256" />
    <identity impersonate="true" userName="CORP\\app" password="Identity14" />
    <sessionState mode="SQLServer" sqlConnectionString="data source=db03;user id=state;password=SqlState15" stateConnectionString="tcpip=10.0.0.5:42424" />
    <authentication mode="Forms">
      <forms>
        <credentials passwordFormat="Clear">
          <user name="admin" password="FormsUser16" />
        </credentials>
      </forms>
    </authentication>
  </system.web>
  <system.net>
    <mailSettings>
      <smtp from="shop@example.org">
        <network host="smtp" userName="shop" password="SmtpNetwork17" />
      </smtp>
    </mailSettings>
  </system.net>
  <applicationSettings>
    <Shop.Properties.Settings>
      <setting name="PaymentApiKey" serializeAs="String">
        <value>SettingValue18</value>
      </setting>
      <setting name="PageSize" serializeAs="String">
        <value>25</value>
      </setting>
    </Shop.Properties.Settings>
  </applicationSettings>
  <!-- old database: <add name="Old" connectionString="Server=old;Password=Commented19" /> -->
  <runtime>
    <assemblyBinding xmlns="urn:schemas-microsoft-com:asm.v1">
      <dependentAssembly>
        <assemblyIdentity name="Newtonsoft.Json" publicKeyToken="30ad4fe6b2a6aeed" culture="neutral" />
      </dependentAssembly>
    </assemblyBinding>
  </runtime>
  <system.webServer>
    <security>
      <authentication>
        <anonymousAuthentication enabled="true" passAnonymousToken="true" />
      </authentication>
    </security>
  </system.webServer>
</configuration>
"""
WEB_CONFIG_SECRETS = (
    "SmtpAppSetting6",
    "sk_live_ApiKey7",
    "ClientSecret8",
    "JwtToken9",
    "InlineConn10",
    "ConnString11",
    "EfConn12",
    "ValidationKey13",
    "Identity14",
    "SqlState15",
    "10.0.0.5:42424",
    "FormsUser16",
    "SmtpNetwork17",
    "SettingValue18",
    "Commented19",
)
WEB_CONFIG_KEPT = (
    '<add key="webpages:Version" value="3.0.0.0" />',
    '<add key="FeatureTokenEnabled" value="true" />',
    'decryptionKey="AutoGenerate,IsolateApps" validation="HMACSHA256"',
    '<credentials passwordFormat="Clear">',
    '<user name="admin" password="[redacted]" />',
    'publicKeyToken="30ad4fe6b2a6aeed"',
    'passAnonymousToken="true"',
    "<value>25</value>",
    'Server=db01;Database=rep;User Id=rep;Password=[redacted];Encrypt=True"',
)

ENCRYPTED = b"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings configProtectionProvider="RsaProtectedConfigurationProvider">
    <EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element" xmlns="http://www.w3.org/2001/04/xmlenc#">
      <EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc" />
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
        <EncryptedKey xmlns="http://www.w3.org/2001/04/xmlenc#">
          <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
            <KeyName>Rsa Key</KeyName>
          </KeyInfo>
          <CipherData>
            <CipherValue>WrappedKeyCipher20</CipherValue>
          </CipherData>
        </EncryptedKey>
      </KeyInfo>
      <CipherData>
        <CipherValue>SectionCipherLine21
SectionCipherLine22</CipherValue>
      </CipherData>
    </EncryptedData>
  </connectionStrings>
  <system.web>
    <compilation debug="true" />
  </system.web>
</configuration>
"""


def redacted_lines(original: bytes, redacted: str) -> list[tuple[str, str]]:
    """The lines that differ; the redaction must keep the number of lines."""
    before, after = original.decode("utf-8-sig").splitlines(), redacted.splitlines()
    assert len(before) == len(after)
    return [(old, new) for old, new in zip(before, after, strict=True) if old != new]


@pytest.mark.parametrize(("document", "secrets"), [(APPHOST, APPHOST_SECRETS), (WEB_CONFIG, WEB_CONFIG_SECRETS), (ENCRYPTED, ())])
def test_every_kind_of_secret_is_gone_and_only_lines_with_a_secret_change(document: bytes, secrets: tuple[str, ...]) -> None:
    redacted = redact_document(document, "web.config")
    for secret in secrets:
        assert secret in document.decode("utf-8")
        assert secret not in redacted
    for old, new in redacted_lines(document, redacted):
        assert MARKER in new, (old, new)


def test_what_carries_no_secret_stays_readable() -> None:
    redacted = redact_document(WEB_CONFIG, "web.config")
    for kept in WEB_CONFIG_KEPT:
        assert kept in redacted
    assert 'password=""' in redact_document(APPHOST, "applicationHost.config")


def test_an_iis_encrypted_value_and_the_schema_identity_passwords_become_the_marker() -> None:
    redacted = redact_document(APPHOST, "applicationHost.config")
    assert '<processModel identityType="SpecificUser" userName="CORP\\svc-shop" password="[redacted]" />' in redacted
    assert '<processModel identityType="SpecificUser" userName="CORP\\svc-enc" password="[redacted]" />' in redacted
    assert '<virtualDirectory path="/" physicalPath="\\\\files\\shop" userName="CORP\\share" password="[redacted]" />' in redacted
    assert '<add key="connectionString" encryptedValue="[redacted]" />' in redacted


def test_an_encrypted_section_keeps_its_markup_and_lines_but_no_cipher_text() -> None:
    redacted = redact_document(ENCRYPTED, "web.config")
    for cipher in ("WrappedKeyCipher20", "SectionCipherLine21", "SectionCipherLine22", "Rsa Key"):
        assert cipher not in redacted
    assert "<CipherValue>[redacted]</CipherValue>" in redacted
    assert "<CipherValue>[redacted]\n[redacted]</CipherValue>" in redacted
    assert '<EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#tripledes-cbc" />' in redacted
    assert '<compilation debug="true" />' in redacted


def test_the_lab_shop_web_config_loses_only_the_forms_password() -> None:
    original = SHOP.read_bytes()
    assert b'password="Spring2019!"' in original
    changed = redacted_lines(original, redact_document(original, "C:\\inetpub\\shop\\web.config"))
    assert changed == [('            <user name="shopadmin" password="Spring2019!" />', '            <user name="shopadmin" password="[redacted]" />')]


@pytest.mark.parametrize(
    ("broken", "secrets"),
    [
        pytest.param(
            b'<configuration>\n  <system.web>\n    <identity impersonate="true" password="Truncated23" userName="x', ("Truncated23",), id="truncated-in-a-tag"
        ),
        pytest.param(
            b'<configuration>\n  <appSettings>\n    <add key="Db.Password" value="Mismatch24" />\n  </system.web>\n</configuration>\n',
            ("Mismatch24",),
            id="mismatched-tags",
        ),
        pytest.param(
            b'<configuration>\n  <rule pattern="a>b" password="GreaterThan25" />\n  <!-- <add connectionString="Server=x;Pwd=Comment26" />\n',
            ("GreaterThan25", "Comment26"),
            id="greater-than-in-a-value-and-an-open-comment",
        ),
        pytest.param(
            b"<configuration>\n  <connectionStrings>\n    <EncryptedData>\n      <CipherValue>CutCipher27\nCutCipher28",
            ("CutCipher27", "CutCipher28"),
            id="encrypted-section-cut-short",
        ),
        pytest.param(
            b'<configuration>\n  <password>Element29</password>\n  <setting name="ApiToken">\n    <value>Setting30</value>\n  </setting>\n<broken',
            ("Element29", "Setting30"),
            id="secret-element-and-setting-value",
        ),
    ],
)
def test_a_file_that_does_not_parse_is_redacted_by_pattern(broken: bytes, secrets: tuple[str, ...]) -> None:
    redacted = redact_document(broken, "web.config")
    assert len(redacted.splitlines()) == len(broken.decode("utf-8").splitlines())
    for secret in secrets:
        assert secret in broken.decode("utf-8")
        assert secret not in redacted, redacted
    assert "<configuration>" in redacted


def test_a_utf16_file_is_read_by_its_byte_order_mark_whether_it_parses_or_not() -> None:
    good = '<?xml version="1.0" encoding="utf-16"?>\n<configuration><system.web><identity password="Utf16Pass31" /></system.web></configuration>\n'
    broken = '<configuration>\n<identity password="Utf16Broken32" />\n<oops'
    for text, secret in ((good, "Utf16Pass31"), (broken, "Utf16Broken32")):
        data = "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
        redacted = redact_document(data, "web.config")
        assert secret not in redacted and 'password="[redacted]"' in redacted


def test_the_switch_shows_the_file_as_it_is() -> None:
    original = SHOP.read_bytes()
    assert document_text(original, "web.config", show_secrets=True) == original.decode("utf-8")
    assert "Spring2019!" not in document_text(original, "web.config")
    assert document_text(None, "web.config") == ""


@pytest.mark.parametrize(
    ("element", "attribute", "siblings", "secret"),
    [
        ("processModel", "password", None, True),
        ("activeDirectory", "adPassword", None, True),
        ("machineKey", "validationKey", None, True),
        ("add", "connectionString", None, True),
        ("sessionState", "sqlConnectionString", None, True),
        ("add", "encryptedValue", None, True),
        ("add", "sessionKey", None, True),
        ("oauth", "client_secret", None, True),
        ("add", "value", {"key": "Db.Pwd"}, True),
        ("add", "value", {"name": "X-Api-Key"}, True),
        ("add", "value", {"key": "webpages:Enabled"}, False),
        ("add", "value", None, False),
        ("add", "key", None, False),
        ("credentials", "passwordFormat", None, False),
        ("assemblyIdentity", "publicKeyToken", None, False),
        ("add", "connectionStringName", None, False),
        ("membership", "minRequiredPasswordLength", None, False),
        ("add", "keyContainerName", None, False),
    ],
)
def test_which_attributes_are_secret(element: str, attribute: str, siblings: dict[str, str | None] | None, secret: bool) -> None:
    assert secret_attribute(attribute, siblings) is secret, element


def test_every_schema_secret_is_secret_by_its_name() -> None:
    for path, attribute in SCHEMA_SECRETS:
        assert secret_attribute(attribute), (path, attribute)
        assert shown_value(attribute, "x1") == MARKER


def test_shown_values_keep_what_is_no_secret() -> None:
    assert shown_value("password", None) is None
    assert shown_value("password", "") == ""
    assert shown_value("passAnonymousToken", "true") == "true"
    assert shown_value("password", "true") == MARKER
    assert shown_value("validationKey", "AutoGenerate,IsolateApps") == "AutoGenerate,IsolateApps"
    assert shown_value("description", "[enc:AesProvider:0011:enc]") == MARKER
    assert secret_name("DefaultPassword") and not secret_name("PasswordExpiryWarning")


def test_text_is_redacted_by_pattern() -> None:
    assert redact_text('<user name="a" password="Text33" />') == '<user name="a" password="[redacted]" />'
    assert redact_text("Server=x;Password=Text34;Encrypt=True") == "Server=x;Password=[redacted];Encrypt=True"


CORPUS_SECRETS = ("P@n_203HksP0rt@l", "P@nS3qu3l", "mojo123", "Password=1234", "entt2017", "admin1234")


@pytest.mark.skipif(not (CORPUS / "webconfig").is_dir(), reason="the shared corpus (HARDENED_IIS_CORPUS) is not present")
def test_real_configuration_files_keep_their_lines_and_lose_their_known_secrets() -> None:
    files = (
        sorted((CORPUS / "webconfig").glob("*.config")) + sorted((CORPUS / "applicationhost").glob("*.config")) + sorted((CORPUS / "schema").glob("*.config"))
    )
    assert files
    for path in files:
        original = path.read_bytes()
        redacted = redact_document(original, path.name)
        text = document_text(original, path.name, show_secrets=True)
        assert len(redacted.splitlines()) == len(text.splitlines()), path
        for old, new in zip(text.splitlines(), redacted.splitlines(), strict=True):
            assert old == new or MARKER in new, (path, old)
        for secret in CORPUS_SECRETS:
            assert secret not in redacted, (path, secret)
