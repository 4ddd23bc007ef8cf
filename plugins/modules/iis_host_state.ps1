#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.hardened.iis.plugins.module_utils._Backup

# Reads everything the hardened.iis rules need, in one call, and changes nothing:
# the IIS configuration files (applicationHost.config, its schema files, machine.config,
# the root web.config, every web.config below each virtual directory), registry values
# under the watched keys, Windows features, services and OS facts, and what hotfix
# compliance needs (installed .NET Framework versions, installed updates from every
# source, Microsoft Defender's signature state). Decisions are made on the controller;
# this module only reads and reports.

$spec = @{
    options = @{
        registry_keys = @{
            type = 'list'
            elements = 'str'
            default = @(
                'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL'
                'HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters'
                'HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319'
                'HKLM:\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319'
                'HKLM:\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002'
                'HKLM:\SOFTWARE\Microsoft\InetStp'
            )
        }
        extra_files = @{ type = 'list'; elements = 'path'; default = @() }
        include_web_configs = @{ type = 'bool'; default = $true }
        max_file_size = @{ type = 'int'; default = 33554432 }
        probe_paths = @{ type = 'list'; elements = 'str'; default = @() }
        backup_dir = @{ type = 'path'; default = '%ProgramData%\hardened.iis\backups' }
        gather_updates = @{ type = 'bool'; default = $true }
        acl_paths = @{
            type = 'list'
            elements = 'str'
            default = @(
                '%SystemDrive%\inetpub'
                '%windir%\System32\inetsrv\InetMgr.exe'
            )
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$module.Result.changed = $false
$files = [System.Collections.Generic.List[Object]]@()
$unreadable = [System.Collections.Generic.List[Object]]@()
$seen = @{}

Function Add-HostFile {
    param([String]$Path)

    $full = [Environment]::ExpandEnvironmentVariables($Path)
    $key = $full.ToLowerInvariant()
    if ($seen.ContainsKey($key)) {
        return
    }
    $seen[$key] = $true
    if (-not (Test-Path -LiteralPath $full -PathType Leaf)) {
        return
    }
    try {
        $item = Get-Item -LiteralPath $full -Force
        if ($item.Length -gt $module.Params.max_file_size) {
            $unreadable.Add(@{ path = $full; reason = "larger than max_file_size ($($item.Length) bytes)" })
            return
        }
        $bytes = [System.IO.File]::ReadAllBytes($full)
        $files.Add(@{ path = $full; content = [Convert]::ToBase64String($bytes) })
    }
    catch {
        $unreadable.Add(@{ path = $full; reason = $_.Exception.Message })
    }
}

Function Get-RegistryTree {
    param([String]$Path)

    $values = @{}
    if (-not (Test-Path -LiteralPath $Path)) {
        return $values
    }
    $keys = @(Get-Item -LiteralPath $Path) + @(Get-ChildItem -LiteralPath $Path -Recurse -ErrorAction SilentlyContinue)
    foreach ($key in $keys) {
        $entries = @{}
        foreach ($name in $key.GetValueNames()) {
            $entries[$name] = $key.GetValue($name, $null, 'DoNotExpandEnvironmentNames')
        }
        $display = $key.Name -replace '^HKEY_LOCAL_MACHINE\\', 'HKLM\'
        $values[$display] = $entries
    }
    return $values
}

$inetsrv = Join-Path -Path $env:windir -ChildPath 'System32\inetsrv\config'
$apphost = Join-Path -Path $inetsrv -ChildPath 'applicationHost.config'
Add-HostFile -Path $apphost
foreach ($schema in (Get-ChildItem -LiteralPath (Join-Path -Path $inetsrv -ChildPath 'schema') -Filter '*.xml' -ErrorAction SilentlyContinue)) {
    Add-HostFile -Path $schema.FullName
}
$framework = Join-Path -Path $env:windir -ChildPath 'Microsoft.NET\Framework64\v4.0.30319\Config'
Add-HostFile -Path (Join-Path -Path $framework -ChildPath 'machine.config')
Add-HostFile -Path (Join-Path -Path $framework -ChildPath 'web.config')

if ($module.Params.include_web_configs -and (Test-Path -LiteralPath $apphost)) {
    try {
        [xml]$document = [System.IO.File]::ReadAllText($apphost)
        $directories = $document.SelectNodes('/configuration/system.applicationHost/sites/site/application/virtualDirectory')
        foreach ($directory in $directories) {
            $physical = [Environment]::ExpandEnvironmentVariables($directory.GetAttribute('physicalPath'))
            if (-not $physical -or -not (Test-Path -LiteralPath $physical -PathType Container)) {
                continue
            }
            $found = Get-ChildItem -LiteralPath $physical -Filter 'web.config' -Recurse -File -Force -ErrorAction SilentlyContinue
            foreach ($webConfig in $found) {
                Add-HostFile -Path $webConfig.FullName
            }
        }
    }
    catch {
        $module.Warn("Could not list the sites of applicationHost.config to find their web.config files: $($_.Exception.Message)")
    }
}
foreach ($extra in $module.Params.extra_files) {
    Add-HostFile -Path $extra
}

# Existence of the files and folders the rules check (probe_paths), {site_root} once per site.
$probes = [System.Collections.Generic.List[Object]]@()
if ($module.Params.probe_paths.Count -gt 0) {
    $siteRoots = [System.Collections.Generic.List[String]]@()
    if (Test-Path -LiteralPath $apphost) {
        try {
            [xml]$sitesDocument = [System.IO.File]::ReadAllText($apphost)
            foreach ($site in $sitesDocument.SelectNodes('/configuration/system.applicationHost/sites/site')) {
                $rootDirectory = $site.SelectSingleNode("application[@path='/']/virtualDirectory[@path='/']")
                if ($null -ne $rootDirectory) {
                    $siteRoots.Add([Environment]::ExpandEnvironmentVariables($rootDirectory.GetAttribute('physicalPath')))
                }
            }
        }
        catch {
            $module.Warn("Could not list the sites' root folders for probe_paths: $($_.Exception.Message)")
        }
    }
    foreach ($probe in $module.Params.probe_paths) {
        $expanded = [Environment]::ExpandEnvironmentVariables($probe)
        $candidates = @($expanded)
        if ($expanded.Contains('{site_root}')) {
            $candidates = @(foreach ($siteRoot in $siteRoots) { $expanded.Replace('{site_root}', $siteRoot) })
        }
        foreach ($candidate in $candidates) {
            $kind = $null
            if (Test-Path -LiteralPath $candidate -PathType Container) {
                $kind = 'directory'
            }
            elseif (Test-Path -LiteralPath $candidate -PathType Leaf) {
                $kind = 'file'
            }
            $probes.Add(@{ path = $candidate; exists = ($null -ne $kind); kind = $kind })
        }
    }
}

$registry = @{}
foreach ($root in $module.Params.registry_keys) {
    $tree = Get-RegistryTree -Path $root
    foreach ($name in $tree.Keys) {
        $registry[$name] = $tree[$name]
    }
}

$features = @{}
if (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue) {
    foreach ($feature in (Get-WindowsFeature -Name 'Web-*', 'NET-*', 'Print-Internet')) {
        $features[$feature.Name] = if ($feature.Installed) { 'installed' } else { 'absent' }
    }
}
else {
    $module.Warn('Get-WindowsFeature is not available; feature rules will report an error.')
}

# The certificates HTTP.sys binds to IP:port and, with SNI, to host name:port endpoints (what
# "netsh http show sslcert" lists): a site's https binding has a certificate when its endpoint is here.
$sslBindings = [System.Collections.Generic.List[object]]@()
$httpParameters = 'HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters'
foreach ($store in 'SslBindingInfo', 'SslSniBindingInfo') {
    $storePath = Join-Path -Path $httpParameters -ChildPath $store
    if (-not (Test-Path -LiteralPath $storePath)) {
        continue
    }
    foreach ($endpoint in (Get-ChildItem -LiteralPath $storePath -ErrorAction SilentlyContinue)) {
        $hash = (Get-ItemProperty -LiteralPath $endpoint.PSPath -Name SslCertHash -ErrorAction SilentlyContinue).SslCertHash
        $sslBindings.Add(@{
                endpoint = $endpoint.PSChildName
                sni = ($store -eq 'SslSniBindingInfo')
                certificate_hash = if ($hash) { ($hash | ForEach-Object { $_.ToString('X2') }) -join '' } else { $null }
            })
    }
}

$services = @{}
foreach ($service in (Get-Service -Name 'W3SVC', 'WAS', 'WMSVC', 'MSFTPSVC', 'IISADMIN' -ErrorAction SilentlyContinue)) {
    $services[$service.Name] = @{
        state = $service.Status.ToString().ToLowerInvariant()
        start_mode = $service.StartType.ToString().ToLowerInvariant()
    }
}

# Installed .NET Framework versions, read as "How to: Determine which .NET Framework
# versions are installed" documents it (learn.microsoft.com, dotnet/docs
# docs/framework/install/how-to-determine-which-versions-are-installed.md): 3.5 is installed
# when NDP\v3.5 has Install = 1; 4.5 and later are named by the Release DWORD of NDP\v4\Full,
# compared with the documented minimum Release of each version, highest first.
$dotnetFramework = [System.Collections.Generic.List[String]]@()
$dotnetReleases = @(
    @{ release = 533320; version = '4.8.1' }
    @{ release = 528040; version = '4.8' }
    @{ release = 461808; version = '4.7.2' }
    @{ release = 461308; version = '4.7.1' }
    @{ release = 460798; version = '4.7' }
    @{ release = 394802; version = '4.6.2' }
    @{ release = 394254; version = '4.6.1' }
    @{ release = 393295; version = '4.6' }
    @{ release = 379893; version = '4.5.2' }
    @{ release = 378675; version = '4.5.1' }
    @{ release = 378389; version = '4.5' }
)
$ndp = 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP'
$ndp35 = Get-ItemProperty -LiteralPath "$ndp\v3.5" -Name 'Install' -ErrorAction SilentlyContinue
if ($ndp35 -and $ndp35.Install -eq 1) {
    $dotnetFramework.Add('3.5')
}
$ndp4 = Get-ItemProperty -LiteralPath "$ndp\v4\Full" -Name 'Release' -ErrorAction SilentlyContinue
if ($ndp4 -and $null -ne $ndp4.Release) {
    foreach ($known in $dotnetReleases) {
        if ([Int64]$ndp4.Release -ge $known.release) {
            $dotnetFramework.Add($known.version)
            break
        }
    }
}

# Hotpatch enrollment: Microsoft documents no on-host value that says a server takes Security
# Hotpatch Updates. Searched: MicrosoftDocs/windowsserverdocs
# WindowsServerDocs/get-started/enable-hotpatch-azure-edition.md only gives the steps that
# prepare an ISO-installed Windows Server 2022 Datacenter: Azure Edition VM (VBS,
# Memory Management\HotPatchTableSize, Update\TargetingInfo\DynamicInstalled\Hotpatch.amd64,
# KB5003508), not a check of enrollment; enable-hotpatch-azure-arc-enabled-servers.md enrolls
# Windows Server 2025 in the Azure portal and names no value on the host. Until Microsoft
# documents one, the host is reported as not enrolled, so a missing monthly cumulative update
# is never excused by a hotpatch the gather cannot prove.
$hotpatchEnrolled = $false

# Installed updates, one entry per KB and source, and Defender's state (gather_updates).
# Each source is read in its own try/catch: one that fails is listed in update_sources with
# its error and the others are still returned.
$updates = [System.Collections.Generic.List[Object]]@()
$updateSources = [System.Collections.Generic.List[Object]]@()
$updateSeen = @{}
$defender = $null
$invariant = [System.Globalization.CultureInfo]::InvariantCulture

Function Get-KbNumber {
    # Every KB number (6 to 8 digits) in a text, as KBnnnnnnn.
    param([String]$Text)

    if (-not $Text) {
        return
    }
    foreach ($match in [Regex]::Matches($Text, '(?<![0-9A-Za-z])KB(\d{6,8})(?![0-9])', 'IgnoreCase')) {
        "KB$($match.Groups[1].Value)"
    }
}

Function ConvertTo-UpdateDate {
    # A date as yyyy-MM-dd, or $null when there is none or it cannot be read.
    param([Object]$Value)

    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [DateTime]) {
        return $Value.ToString('yyyy-MM-dd', $invariant)
    }
    $text = "$Value".Trim()
    if (-not $text) {
        return $null
    }
    # Win32_QuickFixEngineering.InstalledOn is a string: most systems write a date (M/d/yyyy),
    # some a 64-bit FILETIME in hexadecimal (documented on the class's page).
    if ($text -match '^[0-9A-Fa-f]{15,16}$') {
        try {
            return [DateTime]::FromFileTimeUtc([Convert]::ToInt64($text, 16)).ToString('yyyy-MM-dd', $invariant)
        }
        catch {
            return $null
        }
    }
    $parsed = [DateTime]::MinValue
    $formats = [String[]]@('M/d/yyyy', 'M/d/yyyy h:mm:ss tt', 'M/d/yyyy H:mm:ss', 'd-M-yyyy', 'yyyy-MM-dd', 'yyyyMMdd')
    if ([DateTime]::TryParseExact($text, $formats, $invariant, [System.Globalization.DateTimeStyles]::AllowWhiteSpaces, [ref]$parsed)) {
        return $parsed.ToString('yyyy-MM-dd', $invariant)
    }
    return $null
}

Function Add-InstalledUpdate {
    param([String]$Kb, [String]$Source, [Object]$InstalledOn)

    $key = "$Kb|$Source"
    if ($updateSeen.ContainsKey($key)) {
        if ($null -eq $updateSeen[$key].installed_on) {
            $updateSeen[$key].installed_on = $InstalledOn
        }
        return
    }
    $entry = @{ kb = $Kb; source = $Source; installed_on = $InstalledOn }
    $updateSeen[$key] = $entry
    $updates.Add($entry)
}

Function Add-UpdateSource {
    param([String]$Source, [String]$Failure)

    $entry = @{ source = $Source; ok = $true; error = $null }
    if ($Failure) {
        $entry.ok = $false
        $entry.error = $Failure
    }
    $updateSources.Add($entry)
}

if ($module.Params.gather_updates) {
    # hotfix: Win32_QuickFixEngineering (what Get-HotFix reads). InstalledOn is read raw, as
    # the class returns it, and converted by ConvertTo-UpdateDate.
    try {
        $fixes = Get-CimInstance -ClassName 'Win32_QuickFixEngineering' -ErrorAction Stop
        foreach ($fix in $fixes) {
            $installedOn = ConvertTo-UpdateDate -Value $fix.CimInstanceProperties['InstalledOn'].Value
            foreach ($kb in (Get-KbNumber -Text $fix.HotFixID)) {
                Add-InstalledUpdate -Kb $kb -Source 'hotfix' -InstalledOn $installedOn
            }
        }
        Add-UpdateSource -Source 'hotfix'
    }
    catch {
        Add-UpdateSource -Source 'hotfix' -Failure $_.Exception.Message
    }

    # msu: the PackageManagement msu provider; its package names carry the KB, as in
    # "Security Update for Microsoft Windows (KB5009555)". It gives no install date.
    try {
        $packages = Get-Package -ProviderName 'msu' -ErrorAction Stop
        foreach ($package in $packages) {
            foreach ($kb in (Get-KbNumber -Text $package.Name)) {
                Add-InstalledUpdate -Kb $kb -Source 'msu' -InstalledOn $null
            }
        }
        Add-UpdateSource -Source 'msu'
    }
    catch {
        Add-UpdateSource -Source 'msu' -Failure $_.Exception.Message
    }

    # history: the Windows Update Agent API. QueryHistory returns the newest event first, so
    # the first event that succeeded (OperationResultCode orcSucceeded = 2,
    # orcSucceededWithErrors = 3) decides each KB: installed when its Operation is
    # uoInstallation (1), removed when it is uoUninstallation (2). Failed and aborted events
    # decide nothing.
    try {
        $session = New-Object -ComObject 'Microsoft.Update.Session' -ErrorAction Stop
        $searcher = $session.CreateUpdateSearcher()
        $count = $searcher.GetTotalHistoryCount()
        $decided = @{}
        if ($count -gt 0) {
            foreach ($historyEntry in $searcher.QueryHistory(0, $count)) {
                if ($historyEntry.ResultCode -ne 2 -and $historyEntry.ResultCode -ne 3) {
                    continue
                }
                foreach ($kb in (Get-KbNumber -Text $historyEntry.Title)) {
                    if ($decided.ContainsKey($kb)) {
                        continue
                    }
                    $decided[$kb] = $true
                    if ($historyEntry.Operation -eq 1) {
                        Add-InstalledUpdate -Kb $kb -Source 'history' -InstalledOn (ConvertTo-UpdateDate -Value $historyEntry.Date)
                    }
                }
            }
        }
        Add-UpdateSource -Source 'history'
    }
    catch {
        Add-UpdateSource -Source 'history' -Failure $_.Exception.Message
    }

    # cbs (servicing packages, Get-WindowsPackage -Online) is not read: it enumerates the
    # whole component store and takes minutes on a server, which every audit would pay for.
    # Win32_QuickFixEngineering already lists the updates CBS installed.

    # defender: Microsoft Defender Antivirus (Get-MpComputerStatus, the Defender module).
    # AntivirusSignatureLastUpdated is local time; it is returned in UTC.
    if (Get-Command -Name 'Get-MpComputerStatus' -ErrorAction SilentlyContinue) {
        try {
            $mpStatus = Get-MpComputerStatus -ErrorAction Stop
            $signatureUpdated = $null
            if ($mpStatus.AntivirusSignatureLastUpdated -is [DateTime]) {
                $signatureUpdated = $mpStatus.AntivirusSignatureLastUpdated.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', $invariant)
            }
            $defender = @{
                enabled = [bool]$mpStatus.AntivirusEnabled
                signature_version = $mpStatus.AntivirusSignatureVersion
                signature_updated = $signatureUpdated
                engine_version = $mpStatus.AMEngineVersion
            }
            Add-UpdateSource -Source 'defender'
        }
        catch {
            $defender = $null
            Add-UpdateSource -Source 'defender' -Failure "Get-MpComputerStatus failed (is Microsoft Defender Antivirus running?): $($_.Exception.Message)"
        }
    }
    else {
        Add-UpdateSource -Source 'defender' -Failure 'Get-MpComputerStatus is not available: Microsoft Defender Antivirus is not installed'
    }
}

# The access rules of each path of acl_paths (expanded): identity by SID and name, the FileSystemRights
# mask as a number (generic rights of inherit-only entries are kept as they are), allow or deny, the
# inheritance and propagation flags, and whether the entry is inherited. A path that does not exist is
# left out; one whose ACL cannot be read is left out with a warning.
$acls = @{}
foreach ($aclPath in $module.Params.acl_paths) {
    $expandedAclPath = [Environment]::ExpandEnvironmentVariables($aclPath)
    if (-not (Test-Path -LiteralPath $expandedAclPath)) {
        continue
    }
    try {
        $acl = Get-Acl -LiteralPath $expandedAclPath -ErrorAction Stop
        $aclEntries = [System.Collections.Generic.List[Object]]@()
        foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
            $sid = $rule.IdentityReference.Value
            $identity = $sid
            try {
                $identity = $rule.IdentityReference.Translate([System.Security.Principal.NTAccount]).Value
            }
            catch {
                $identity = $sid
            }
            $aclEntries.Add(@{
                    identity = $identity
                    sid = $sid
                    rights = [Int32]$rule.FileSystemRights
                    type = $rule.AccessControlType.ToString().ToLowerInvariant()
                    inheritance_flags = $rule.InheritanceFlags.ToString()
                    propagation_flags = $rule.PropagationFlags.ToString()
                    inherited = $rule.IsInherited
                })
        }
        $acls[$expandedAclPath] = $aclEntries
    }
    catch {
        $module.Warn("Could not read the ACL of '$expandedAclPath': $($_.Exception.Message)")
    }
}

$version = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion' -ErrorAction SilentlyContinue
$inetStp = Get-ItemProperty -LiteralPath 'HKLM:\SOFTWARE\Microsoft\InetStp' -ErrorAction SilentlyContinue

$module.Result.state = @{
    host = $env:COMPUTERNAME
    collected_at = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
    environment = @{
        SystemDrive = $env:SystemDrive
        SystemRoot = $env:SystemRoot
        windir = $env:windir
        ProgramFiles = $env:ProgramFiles
    }
    os = @{
        product_name = $version.ProductName
        edition_id = $version.EditionID
        installation_type = $version.InstallationType
        current_build = $version.CurrentBuild
        ubr = $version.UBR
        display_version = $version.DisplayVersion
        architecture = $env:PROCESSOR_ARCHITECTURE
        dotnet_framework = $dotnetFramework
        hotpatch_enrolled = $hotpatchEnrolled
    }
    iis = @{
        version = if ($inetStp) { "$($inetStp.MajorVersion).$($inetStp.MinorVersion)" } else { $null }
    }
    registry = $registry
    features = $features
    services = $services
    acls = $acls
    ssl_bindings = $sslBindings
}
if ($module.Params.gather_updates) {
    $module.Result.state.updates = $updates
    $module.Result.state.defender = $defender
}
$module.Result.update_sources = $updateSources
$module.Result.files = $files
$module.Result.unreadable = $unreadable
$module.Result.probes = $probes

# An apply that never finished left its intent record (_Backup.psm1's format) under backup_dir:
# reported as it is, so the controller completes its restore (iis_restore) before it plans anything.
$module.Result.interrupted_apply = $null
$intentPath = Get-HardenedIisIntentPath -Root ([Environment]::ExpandEnvironmentVariables($module.Params.backup_dir))
if (Test-Path -LiteralPath $intentPath -PathType Leaf) {
    try {
        $found = Get-HardenedIisIntentSummary -Intent ([System.IO.File]::ReadAllText($intentPath) | ConvertFrom-Json)
        $found.completed = $false
        $module.Result.interrupted_apply = $found
    }
    catch {
        $module.Warn("An intent record of an apply that never finished is at '$intentPath' but cannot be read: $($_.Exception.Message)")
    }
}
$module.ExitJson()
