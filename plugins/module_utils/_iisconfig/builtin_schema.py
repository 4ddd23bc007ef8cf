# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The built-in schema: collection keys and documented defaults, in IIS's schema format.

Used when a host's own ``inetsrv/config/schema/*.xml`` files are not available
(a snapshot of applicationHost.config alone, say). A host's schema files replace
these definitions section by section. Values follow IIS_schema.xml (IIS 10),
WebDAV_schema.xml, rewrite_schema.xml, aspnetcore_schema.xml and ASPNET_schema.xml
(the ASP.NET ``system.web`` sections, with the defaults the .NET Framework 4.x
documentation gives). A unit test checks every definition here against a real
IIS_schema.xml where that file defines the same attribute.
"""

from __future__ import annotations

_W3C_FIELDS = (
    "Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, UriQuery, TimeTaken, HttpStatus, Win32Status, ServerPort, UserAgent, HttpSubStatus, Referer"
)
"""The default W3C log fields of a site (IIS_schema.xml)."""

_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<configSchema>
  <sectionSchema name="system.applicationHost/applicationPools">
    <collection addElement="add" defaultElement="applicationPoolDefaults">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="autoStart" type="bool" defaultValue="true" />
      <attribute name="enable32BitAppOnWin64" type="bool" defaultValue="false" />
      <attribute name="managedRuntimeVersion" defaultValue="" />
      <attribute name="managedPipelineMode" type="enum" defaultValue="Integrated" />
      <attribute name="startMode" type="enum" defaultValue="OnDemand" />
      <element name="processModel">
        <attribute name="identityType" type="enum" defaultValue="ApplicationPoolIdentity" />
        <attribute name="userName" />
        <attribute name="loadUserProfile" type="bool" defaultValue="false" />
        <attribute name="idleTimeout" type="timeSpan" defaultValue="00:20:00" />
        <attribute name="maxProcesses" type="uint" defaultValue="1" />
      </element>
      <element name="recycling">
        <attribute name="disallowOverlappingRotation" type="bool" defaultValue="false" />
        <attribute name="logEventOnRecycle" type="flags" defaultValue="Time, Memory, PrivateMemory" />
        <element name="periodicRestart">
          <attribute name="memory" type="uint" defaultValue="0" />
          <attribute name="privateMemory" type="uint" defaultValue="0" />
          <attribute name="requests" type="uint" defaultValue="0" />
          <attribute name="time" type="timeSpan" defaultValue="29:00:00" />
          <element name="schedule">
            <collection addElement="add" clearElement="clear">
              <attribute name="value" type="timeSpan" isUniqueKey="true" />
            </collection>
          </element>
        </element>
      </element>
      <element name="failure">
        <attribute name="rapidFailProtection" type="bool" defaultValue="true" />
        <attribute name="rapidFailProtectionInterval" type="timeSpan" defaultValue="00:05:00" />
        <attribute name="rapidFailProtectionMaxCrashes" type="uint" defaultValue="5" />
      </element>
      <element name="cpu">
        <attribute name="limit" type="uint" defaultValue="0" />
        <attribute name="action" type="enum" defaultValue="NoAction" />
      </element>
    </collection>
    <element name="applicationPoolDefaults">
      <attribute name="autoStart" type="bool" defaultValue="true" />
      <attribute name="managedRuntimeVersion" defaultValue="" />
      <attribute name="managedPipelineMode" type="enum" defaultValue="Integrated" />
      <element name="processModel">
        <attribute name="identityType" type="enum" defaultValue="ApplicationPoolIdentity" />
        <attribute name="loadUserProfile" type="bool" defaultValue="false" />
        <attribute name="idleTimeout" type="timeSpan" defaultValue="00:20:00" />
      </element>
      <element name="recycling">
        <attribute name="disallowOverlappingRotation" type="bool" defaultValue="false" />
        <attribute name="logEventOnRecycle" type="flags" defaultValue="Time, Memory, PrivateMemory" />
        <element name="periodicRestart">
          <attribute name="memory" type="uint" defaultValue="0" />
          <attribute name="privateMemory" type="uint" defaultValue="0" />
          <attribute name="requests" type="uint" defaultValue="0" />
          <attribute name="time" type="timeSpan" defaultValue="29:00:00" />
          <element name="schedule">
            <collection addElement="add" clearElement="clear">
              <attribute name="value" type="timeSpan" isUniqueKey="true" />
            </collection>
          </element>
        </element>
      </element>
      <element name="failure">
        <attribute name="rapidFailProtection" type="bool" defaultValue="true" />
        <attribute name="rapidFailProtectionInterval" type="timeSpan" defaultValue="00:05:00" />
        <attribute name="rapidFailProtectionMaxCrashes" type="uint" defaultValue="5" />
      </element>
      <element name="cpu">
        <attribute name="limit" type="uint" defaultValue="0" />
        <attribute name="action" type="enum" defaultValue="NoAction" />
      </element>
    </element>
  </sectionSchema>

  <sectionSchema name="system.applicationHost/log">
    <attribute name="logInUTF8" type="bool" defaultValue="true" />
    <attribute name="centralLogFileMode" type="enum" defaultValue="Site" />
    <element name="centralBinaryLogFile">
      <attribute name="enabled" type="bool" defaultValue="false" />
      <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\logs\\LogFiles" />
    </element>
    <element name="centralW3CLogFile">
      <attribute name="enabled" type="bool" defaultValue="true" />
      <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\logs\\LogFiles" />
    </element>
  </sectionSchema>

  <sectionSchema name="system.applicationHost/sites">
    <collection addElement="site" defaultElement="siteDefaults">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="id" type="uint" isUniqueKey="true" />
      <attribute name="serverAutoStart" type="bool" defaultValue="true" />
      <element name="bindings">
        <collection addElement="binding" clearElement="clear">
          <attribute name="protocol" isCombinedKey="true" />
          <attribute name="bindingInformation" isCombinedKey="true" />
          <attribute name="sslFlags" type="flags" defaultValue="0" />
        </collection>
      </element>
      <element name="limits">
        <attribute name="maxBandwidth" type="uint" defaultValue="4294967295" />
        <attribute name="maxConnections" type="uint" defaultValue="4294967295" />
        <attribute name="connectionTimeout" type="timeSpan" defaultValue="00:02:00" />
        <attribute name="maxUrlSegments" type="uint" defaultValue="32" />
      </element>
      <element name="logFile">
        <attribute name="logExtFileFlags" type="flags" defaultValue="@W3C_FIELDS@" />
        <attribute name="logFormat" type="enum" defaultValue="W3C" />
        <attribute name="logTargetW3C" type="flags" defaultValue="File" />
        <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\logs\\LogFiles" />
        <attribute name="period" type="enum" defaultValue="Daily" />
        <attribute name="enabled" type="bool" defaultValue="true" />
        <attribute name="localTimeRollover" type="bool" defaultValue="false" />
        <element name="customFields">
          <attribute name="maxCustomFieldLength" type="uint" defaultValue="4096" />
          <collection addElement="add" clearElement="clear">
            <attribute name="logFieldName" isUniqueKey="true" />
            <attribute name="sourceName" />
            <attribute name="sourceType" type="enum" />
          </collection>
        </element>
      </element>
      <element name="traceFailedRequestsLogging">
        <attribute name="enabled" type="bool" defaultValue="false" />
        <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles" />
      </element>
      <element name="hsts">
        <attribute name="enabled" type="bool" defaultValue="false" />
        <attribute name="max-age" type="uint" defaultValue="0" />
        <attribute name="includeSubDomains" type="bool" defaultValue="false" />
        <attribute name="preload" type="bool" defaultValue="false" />
        <attribute name="redirectHttpToHttps" type="bool" defaultValue="false" />
      </element>
      <collection addElement="application" defaultElement="applicationDefaults">
        <attribute name="path" isUniqueKey="true" />
        <attribute name="applicationPool" />
        <attribute name="enabledProtocols" defaultValue="http" />
        <attribute name="preloadEnabled" type="bool" defaultValue="false" />
        <collection addElement="virtualDirectory" defaultElement="virtualDirectoryDefaults">
          <attribute name="path" isUniqueKey="true" />
          <attribute name="physicalPath" />
          <attribute name="userName" />
          <attribute name="logonMethod" type="enum" defaultValue="ClearText" />
          <attribute name="allowSubDirConfig" type="bool" defaultValue="true" />
        </collection>
        <element name="virtualDirectoryDefaults">
          <attribute name="physicalPath" />
          <attribute name="allowSubDirConfig" type="bool" defaultValue="true" />
        </element>
      </collection>
      <element name="applicationDefaults">
        <attribute name="applicationPool" />
        <attribute name="enabledProtocols" defaultValue="http" />
      </element>
      <element name="virtualDirectoryDefaults">
        <attribute name="physicalPath" />
        <attribute name="allowSubDirConfig" type="bool" defaultValue="true" />
      </element>
    </collection>
    <element name="siteDefaults">
      <attribute name="serverAutoStart" type="bool" defaultValue="true" />
      <element name="logFile">
        <attribute name="logExtFileFlags" type="flags" defaultValue="@W3C_FIELDS@" />
        <attribute name="logFormat" type="enum" defaultValue="W3C" />
        <attribute name="logTargetW3C" type="flags" defaultValue="File" />
        <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\logs\\LogFiles" />
        <attribute name="period" type="enum" defaultValue="Daily" />
        <attribute name="enabled" type="bool" defaultValue="true" />
        <element name="customFields">
          <attribute name="maxCustomFieldLength" type="uint" defaultValue="4096" />
          <collection addElement="add" clearElement="clear">
            <attribute name="logFieldName" isUniqueKey="true" />
            <attribute name="sourceName" />
            <attribute name="sourceType" type="enum" />
          </collection>
        </element>
      </element>
      <element name="traceFailedRequestsLogging">
        <attribute name="enabled" type="bool" defaultValue="false" />
        <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\FailedReqLogFiles" />
      </element>
      <element name="hsts">
        <attribute name="enabled" type="bool" defaultValue="false" />
        <attribute name="max-age" type="uint" defaultValue="0" />
        <attribute name="includeSubDomains" type="bool" defaultValue="false" />
        <attribute name="preload" type="bool" defaultValue="false" />
        <attribute name="redirectHttpToHttps" type="bool" defaultValue="false" />
      </element>
    </element>
    <element name="applicationDefaults">
      <attribute name="applicationPool" />
      <attribute name="enabledProtocols" defaultValue="http" />
    </element>
    <element name="virtualDirectoryDefaults">
      <attribute name="physicalPath" />
      <attribute name="allowSubDirConfig" type="bool" defaultValue="true" />
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/asp">
    <attribute name="appAllowClientDebug" type="bool" defaultValue="false" />
    <attribute name="appAllowDebugging" type="bool" defaultValue="false" />
    <attribute name="enableParentPaths" type="bool" defaultValue="false" />
    <attribute name="scriptErrorSentToBrowser" type="bool" defaultValue="false" />
    <element name="session">
      <attribute name="allowSessionState" type="bool" defaultValue="true" />
      <attribute name="keepSessionIdSecure" type="bool" defaultValue="true" />
      <attribute name="timeout" type="timeSpan" defaultValue="00:20:00" />
    </element>
    <element name="limits">
      <attribute name="maxRequestEntityAllowed" type="uint" defaultValue="200000" />
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/aspNetCore">
    <attribute name="processPath" />
    <attribute name="arguments" defaultValue="" />
    <attribute name="stdoutLogEnabled" type="bool" defaultValue="false" />
    <attribute name="stdoutLogFile" defaultValue=".\\logs\\stdout" />
    <attribute name="hostingModel" defaultValue="" />
    <element name="environmentVariables">
      <collection addElement="environmentVariable" clearElement="clear" removeElement="remove">
        <attribute name="name" isUniqueKey="true" />
        <attribute name="value" caseSensitive="true" />
      </collection>
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/cgi">
    <attribute name="createProcessAsUser" type="bool" defaultValue="true" />
  </sectionSchema>

  <sectionSchema name="system.webServer/defaultDocument">
    <attribute name="enabled" type="bool" defaultValue="true" />
    <element name="files">
      <collection addElement="add" clearElement="clear" removeElement="remove" mergeAppend="false">
        <attribute name="value" isUniqueKey="true" />
      </collection>
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/directoryBrowse">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="showFlags" type="flags" defaultValue="Date, Time, Size, Extension" />
  </sectionSchema>

  <sectionSchema name="system.webServer/fastCgi">
    <collection addElement="application">
      <attribute name="fullPath" isCombinedKey="true" />
      <attribute name="arguments" defaultValue="" isCombinedKey="true" />
      <element name="environmentVariables">
        <collection addElement="environmentVariable">
          <attribute name="name" isUniqueKey="true" />
          <attribute name="value" />
        </collection>
      </element>
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/globalModules">
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="name" caseSensitive="true" isUniqueKey="true" />
      <attribute name="image" />
      <attribute name="preCondition" caseSensitive="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/handlers">
    <attribute name="accessPolicy" type="flags" defaultValue="Read" />
    <collection addElement="add" removeElement="remove" clearElement="clear" mergeAppend="false">
      <attribute name="name" caseSensitive="true" isUniqueKey="true" />
      <attribute name="path" />
      <attribute name="verb" caseSensitive="true" />
      <attribute name="type" caseSensitive="true" />
      <attribute name="modules" caseSensitive="true" defaultValue="ManagedPipelineHandler" />
      <attribute name="scriptProcessor" />
      <attribute name="resourceType" type="enum" defaultValue="Unspecified" />
      <attribute name="requireAccess" type="enum" defaultValue="Script" />
      <attribute name="allowPathInfo" type="bool" defaultValue="false" />
      <attribute name="preCondition" caseSensitive="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/httpCompression">
    <attribute name="directory" defaultValue="%SystemDrive%\\inetpub\\temp\\IIS Temporary Compressed Files" />
  </sectionSchema>

  <sectionSchema name="system.webServer/httpErrors">
    <attribute name="errorMode" type="enum" defaultValue="DetailedLocalOnly" />
    <attribute name="existingResponse" type="enum" defaultValue="Auto" />
    <attribute name="defaultPath" />
    <attribute name="defaultResponseMode" type="enum" defaultValue="File" />
    <attribute name="allowAbsolutePathsWhenDelegated" type="bool" defaultValue="false" />
    <collection addElement="error" clearElement="clear" removeElement="remove">
      <attribute name="statusCode" type="uint" isCombinedKey="true" />
      <attribute name="subStatusCode" type="int" defaultValue="-1" isCombinedKey="true" />
      <attribute name="prefixLanguageFilePath" defaultValue="" />
      <attribute name="path" />
      <attribute name="responseMode" type="enum" defaultValue="File" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/httpLogging">
    <attribute name="selectiveLogging" type="enum" defaultValue="LogAll" />
    <attribute name="dontLog" type="bool" defaultValue="false" />
  </sectionSchema>

  <sectionSchema name="system.webServer/httpProtocol">
    <attribute name="allowKeepAlive" type="bool" defaultValue="true" />
    <element name="customHeaders">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="name" isUniqueKey="true" />
        <attribute name="value" caseSensitive="true" />
      </collection>
    </element>
    <element name="redirectHeaders">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="name" isUniqueKey="true" />
        <attribute name="value" caseSensitive="true" />
      </collection>
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/httpRedirect">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="destination" />
    <attribute name="exactDestination" type="bool" defaultValue="false" />
    <attribute name="childOnly" type="bool" defaultValue="false" />
    <attribute name="httpResponseStatus" type="enum" defaultValue="Found" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="wildcard" isUniqueKey="true" />
      <attribute name="destination" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/isapiFilters">
    <collection addElement="filter" clearElement="clear" removeElement="remove">
      <attribute name="name" caseSensitive="true" isUniqueKey="true" />
      <attribute name="path" />
      <attribute name="enabled" type="bool" defaultValue="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/modules">
    <attribute name="runAllManagedModulesForAllRequests" type="bool" defaultValue="false" />
    <attribute name="runManagedModulesForWebDavRequests" type="bool" defaultValue="false" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="name" caseSensitive="true" isUniqueKey="true" />
      <attribute name="type" caseSensitive="true" />
      <attribute name="preCondition" caseSensitive="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/rewrite/rules">
    <collection addElement="rule" clearElement="clear" removeElement="remove">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="enabled" type="bool" defaultValue="true" />
      <attribute name="stopProcessing" type="bool" defaultValue="false" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/rewrite/outboundRules">
    <collection addElement="rule" clearElement="clear" removeElement="remove">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="enabled" type="bool" defaultValue="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/access">
    <attribute name="sslFlags" type="flags" defaultValue="None" />
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authentication/anonymousAuthentication">
    <attribute name="enabled" type="bool" defaultValue="true" />
    <attribute name="userName" defaultValue="IUSR" />
    <attribute name="password" caseSensitive="true" defaultValue="[enc:AesProvider::enc]" />
    <attribute name="logonMethod" type="enum" defaultValue="ClearText" />
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authentication/basicAuthentication">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="realm" />
    <attribute name="defaultLogonDomain" />
    <attribute name="logonMethod" type="enum" defaultValue="ClearText" />
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authentication/clientCertificateMappingAuthentication">
    <attribute name="enabled" type="bool" defaultValue="false" />
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authentication/digestAuthentication">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="realm" />
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authentication/windowsAuthentication">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="authPersistSingleRequest" type="bool" defaultValue="false" />
    <attribute name="useKernelMode" type="bool" defaultValue="true" />
    <element name="providers">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="value" isUniqueKey="true" />
      </collection>
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/authorization">
    <attribute name="bypassLoginPages" type="bool" defaultValue="true" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="accessType" type="enum" />
      <attribute name="users" isCombinedKey="true" />
      <attribute name="roles" isCombinedKey="true" />
      <attribute name="verbs" caseSensitive="true" isCombinedKey="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/dynamicIpSecurity">
    <attribute name="denyAction" type="enum" defaultValue="Forbidden" />
    <attribute name="enableLoggingOnlyMode" type="bool" defaultValue="false" />
    <element name="denyByConcurrentRequests">
      <attribute name="enabled" type="bool" defaultValue="false" />
      <attribute name="maxConcurrentRequests" type="uint" defaultValue="5" />
    </element>
    <element name="denyByRequestRate">
      <attribute name="enabled" type="bool" defaultValue="false" />
      <attribute name="maxRequests" type="uint" defaultValue="20" />
      <attribute name="requestIntervalInMilliseconds" type="uint" defaultValue="200" />
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/ipSecurity">
    <attribute name="enableReverseDns" type="bool" defaultValue="false" />
    <attribute name="allowUnlisted" type="bool" defaultValue="true" />
    <attribute name="denyAction" type="enum" defaultValue="Forbidden" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="ipAddress" isCombinedKey="true" />
      <attribute name="subnetMask" isCombinedKey="true" defaultValue="255.255.255.255" />
      <attribute name="domainName" isCombinedKey="true" />
      <attribute name="allowed" type="bool" defaultValue="false" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/isapiCgiRestriction">
    <attribute name="notListedIsapisAllowed" type="bool" defaultValue="false" />
    <attribute name="notListedCgisAllowed" type="bool" defaultValue="false" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="path" isUniqueKey="true" />
      <attribute name="allowed" type="bool" defaultValue="false" />
      <attribute name="groupId" />
      <attribute name="description" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/security/requestFiltering">
    <attribute name="allowDoubleEscaping" type="bool" defaultValue="false" />
    <attribute name="allowHighBitCharacters" type="bool" defaultValue="true" />
    <attribute name="unescapeQueryString" type="bool" defaultValue="true" />
    <attribute name="removeServerHeader" type="bool" defaultValue="false" />
    <element name="fileExtensions">
      <attribute name="allowUnlisted" type="bool" defaultValue="true" />
      <attribute name="applyToWebDAV" type="bool" defaultValue="true" />
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="fileExtension" isUniqueKey="true" />
        <attribute name="allowed" type="bool" defaultValue="true" />
      </collection>
    </element>
    <element name="requestLimits">
      <attribute name="maxAllowedContentLength" type="uint" defaultValue="30000000" />
      <attribute name="maxUrl" type="uint" defaultValue="4096" />
      <attribute name="maxQueryString" type="uint" defaultValue="2048" />
      <element name="headerLimits">
        <collection addElement="add" clearElement="clear" removeElement="remove">
          <attribute name="header" isUniqueKey="true" />
          <attribute name="sizeLimit" type="uint" />
        </collection>
      </element>
    </element>
    <element name="verbs">
      <attribute name="allowUnlisted" type="bool" defaultValue="true" />
      <attribute name="applyToWebDAV" type="bool" defaultValue="true" />
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="verb" caseSensitive="true" isUniqueKey="true" />
        <attribute name="allowed" type="bool" />
      </collection>
    </element>
    <element name="hiddenSegments">
      <attribute name="applyToWebDAV" type="bool" defaultValue="true" />
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="segment" isUniqueKey="true" />
      </collection>
    </element>
    <element name="alwaysAllowedUrls">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="url" isUniqueKey="true" />
      </collection>
    </element>
    <element name="alwaysAllowedQueryStrings">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="queryString" isUniqueKey="true" />
      </collection>
    </element>
    <element name="denyUrlSequences">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="sequence" isUniqueKey="true" />
      </collection>
    </element>
    <element name="denyQueryStringSequences">
      <collection addElement="add" clearElement="clear" removeElement="remove">
        <attribute name="sequence" isUniqueKey="true" />
      </collection>
    </element>
    <element name="filteringRules">
      <collection addElement="filteringRule" clearElement="clear" removeElement="remove">
        <attribute name="name" isUniqueKey="true" />
        <attribute name="scanUrl" type="bool" defaultValue="false" />
        <attribute name="scanQueryString" type="bool" defaultValue="false" />
        <attribute name="scanAllRaw" type="bool" defaultValue="false" />
        <attribute name="denyUnescapedPercent" type="bool" defaultValue="true" />
        <element name="scanHeaders">
          <collection addElement="add" clearElement="clear" removeElement="remove">
            <attribute name="requestHeader" isUniqueKey="true" />
          </collection>
        </element>
        <element name="appliesTo">
          <collection addElement="add" clearElement="clear" removeElement="remove">
            <attribute name="fileExtension" isUniqueKey="true" />
          </collection>
        </element>
        <element name="denyStrings">
          <collection addElement="add" clearElement="clear" removeElement="remove">
            <attribute name="string" isUniqueKey="true" />
          </collection>
        </element>
      </collection>
    </element>
  </sectionSchema>

  <sectionSchema name="system.webServer/serverRuntime">
    <attribute name="enabled" type="bool" defaultValue="true" />
    <attribute name="maxRequestEntityAllowed" type="uint" defaultValue="4294967295" />
    <attribute name="uploadReadAheadSize" type="uint" defaultValue="49152" />
  </sectionSchema>

  <sectionSchema name="system.webServer/staticContent">
    <attribute name="enableDocFooter" type="bool" defaultValue="false" />
    <collection addElement="mimeMap" clearElement="clear" removeElement="remove">
      <attribute name="fileExtension" isUniqueKey="true" />
      <attribute name="mimeType" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/tracing/traceFailedRequests">
    <collection addElement="add" removeElement="remove" clearElement="clear">
      <attribute name="path" isUniqueKey="true" />
      <element name="traceAreas">
        <collection addElement="add" clearElement="clear" removeElement="remove">
          <attribute name="provider" isUniqueKey="true" />
          <attribute name="areas" />
          <attribute name="verbosity" type="enum" defaultValue="Warning" />
        </collection>
      </element>
      <element name="failureDefinitions">
        <attribute name="statusCodes" />
      </element>
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/webdav/authoring">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="requireSsl" type="bool" defaultValue="false" />
  </sectionSchema>

  <sectionSchema name="system.webServer/webdav/authoringRules">
    <attribute name="defaultAccess" type="flags" defaultValue="None" />
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="users" isCombinedKey="true" />
      <attribute name="roles" isCombinedKey="true" />
      <attribute name="path" isCombinedKey="true" />
      <attribute name="access" type="flags" defaultValue="None" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.webServer/webSocket">
    <attribute name="enabled" type="bool" defaultValue="true" />
  </sectionSchema>

  <sectionSchema name="system.web/anonymousIdentification">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="cookieRequireSSL" type="bool" defaultValue="false" />
    <attribute name="cookieless" type="enum" defaultValue="UseCookies" />
  </sectionSchema>

  <sectionSchema name="system.web/authentication">
    <attribute name="mode" type="enum" defaultValue="Windows" />
    <element name="forms">
      <attribute name="name" defaultValue=".ASPXAUTH" />
      <attribute name="loginUrl" defaultValue="login.aspx" />
      <attribute name="protection" type="enum" defaultValue="All" />
      <attribute name="timeout" type="timeSpan" defaultValue="00:30:00" />
      <attribute name="path" defaultValue="/" />
      <attribute name="requireSSL" type="bool" defaultValue="false" />
      <attribute name="slidingExpiration" type="bool" defaultValue="true" />
      <attribute name="cookieless" type="enum" defaultValue="UseDeviceProfile" />
      <attribute name="enableCrossAppRedirects" type="bool" defaultValue="false" />
      <element name="credentials">
        <attribute name="passwordFormat" type="enum" defaultValue="SHA1" />
        <collection addElement="user" clearElement="clear" removeElement="remove">
          <attribute name="name" isUniqueKey="true" />
          <attribute name="password" caseSensitive="true" />
        </collection>
      </element>
    </element>
  </sectionSchema>

  <sectionSchema name="system.web/authorization">
    <collection addElement="allow,deny" mergeAppend="false" allowDuplicates="true">
      <attribute name="users" />
      <attribute name="roles" />
      <attribute name="verbs" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.web/compilation">
    <attribute name="debug" type="bool" defaultValue="false" />
    <attribute name="batch" type="bool" defaultValue="true" />
    <attribute name="defaultLanguage" defaultValue="vb" />
    <attribute name="targetFramework" />
  </sectionSchema>

  <sectionSchema name="system.web/customErrors">
    <attribute name="mode" type="enum" defaultValue="RemoteOnly" />
    <attribute name="defaultRedirect" />
    <attribute name="redirectMode" type="enum" defaultValue="ResponseRedirect" />
    <collection addElement="error" clearElement="clear" removeElement="remove">
      <attribute name="statusCode" type="int" isUniqueKey="true" />
      <attribute name="redirect" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.web/deployment">
    <attribute name="retail" type="bool" defaultValue="false" />
  </sectionSchema>

  <sectionSchema name="system.web/httpCookies">
    <attribute name="httpOnlyCookies" type="bool" defaultValue="false" />
    <attribute name="requireSSL" type="bool" defaultValue="false" />
    <attribute name="domain" defaultValue="" />
    <attribute name="sameSite" type="enum" defaultValue="Lax" />
  </sectionSchema>

  <sectionSchema name="system.web/httpHandlers">
    <collection addElement="add" clearElement="clear" removeElement="remove" mergeAppend="false">
      <attribute name="path" isCombinedKey="true" />
      <attribute name="verb" isCombinedKey="true" />
      <attribute name="type" />
      <attribute name="validate" type="bool" defaultValue="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.web/httpModules">
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="type" />
    </collection>
  </sectionSchema>

  <sectionSchema name="system.web/httpRuntime">
    <attribute name="enable" type="bool" defaultValue="true" />
    <attribute name="enableVersionHeader" type="bool" defaultValue="true" />
    <attribute name="executionTimeout" type="timeSpan" defaultValue="00:01:50" />
    <attribute name="maxRequestLength" type="int" defaultValue="4096" />
    <attribute name="maxUrlLength" type="int" defaultValue="260" />
    <attribute name="maxQueryStringLength" type="int" defaultValue="2048" />
    <attribute name="requestValidationMode" defaultValue="4.0" />
    <attribute name="targetFramework" />
  </sectionSchema>

  <sectionSchema name="system.web/machineKey">
    <attribute name="validationKey" caseSensitive="true" defaultValue="AutoGenerate,IsolateApps" />
    <attribute name="decryptionKey" caseSensitive="true" defaultValue="AutoGenerate,IsolateApps" />
    <attribute name="validation" type="enum" defaultValue="HMACSHA256" />
    <attribute name="decryption" type="enum" defaultValue="Auto" />
    <attribute name="compatibilityMode" type="enum" defaultValue="Framework20SP1" />
  </sectionSchema>

  <sectionSchema name="system.web/pages">
    <attribute name="validateRequest" type="bool" defaultValue="true" />
    <attribute name="enableViewStateMac" type="bool" defaultValue="true" />
    <attribute name="enableEventValidation" type="bool" defaultValue="true" />
    <attribute name="viewStateEncryptionMode" type="enum" defaultValue="Auto" />
  </sectionSchema>

  <sectionSchema name="system.web/roleManager">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="cookieName" defaultValue=".ASPXROLES" />
    <attribute name="cookieRequireSSL" type="bool" defaultValue="false" />
    <attribute name="cookieProtection" type="enum" defaultValue="All" />
  </sectionSchema>

  <sectionSchema name="system.web/sessionState">
    <attribute name="mode" type="enum" defaultValue="InProc" />
    <attribute name="cookieless" type="enum" defaultValue="UseCookies" />
    <attribute name="cookieName" defaultValue="ASP.NET_SessionId" />
    <attribute name="timeout" type="timeSpan" defaultValue="00:20:00" />
    <attribute name="regenerateExpiredSessionId" type="bool" defaultValue="true" />
    <attribute name="cookieSameSite" type="enum" defaultValue="Lax" />
  </sectionSchema>

  <sectionSchema name="system.web/trace">
    <attribute name="enabled" type="bool" defaultValue="false" />
    <attribute name="localOnly" type="bool" defaultValue="true" />
    <attribute name="pageOutput" type="bool" defaultValue="false" />
    <attribute name="requestLimit" type="int" defaultValue="10" />
  </sectionSchema>

  <sectionSchema name="system.web/trust">
    <attribute name="level" defaultValue="Full" />
    <attribute name="originUrl" defaultValue="" />
  </sectionSchema>

  <sectionSchema name="appSettings">
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="key" isUniqueKey="true" />
      <attribute name="value" caseSensitive="true" />
    </collection>
  </sectionSchema>

  <sectionSchema name="connectionStrings">
    <collection addElement="add" clearElement="clear" removeElement="remove">
      <attribute name="name" isUniqueKey="true" />
      <attribute name="connectionString" caseSensitive="true" />
      <attribute name="providerName" defaultValue="System.Data.SqlClient" />
    </collection>
  </sectionSchema>
</configSchema>
"""

BUILTIN_SCHEMA_XML = _TEMPLATE.replace("@W3C_FIELDS@", _W3C_FIELDS)
