#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Reads everything the hardened.iis rules need, in one call, and changes nothing:
# the IIS configuration files (applicationHost.config, its schema files, machine.config,
# the root web.config, every web.config below each virtual directory), registry values
# under the watched keys, Windows features, services and OS facts. Decisions are made
# on the controller; this module only reads and reports.

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

$registry = @{}
foreach ($root in $module.Params.registry_keys) {
    $tree = Get-RegistryTree -Path $root
    foreach ($name in $tree.Keys) {
        $registry[$name] = $tree[$name]
    }
}

$features = @{}
if (Get-Command -Name Get-WindowsFeature -ErrorAction SilentlyContinue) {
    foreach ($feature in (Get-WindowsFeature -Name 'Web-*', 'NET-*')) {
        $features[$feature.Name] = if ($feature.Installed) { 'installed' } else { 'absent' }
    }
}
else {
    $module.Warn('Get-WindowsFeature is not available; feature rules will report an error.')
}

$services = @{}
foreach ($service in (Get-Service -Name 'W3SVC', 'WAS', 'WMSVC', 'MSFTPSVC', 'IISADMIN' -ErrorAction SilentlyContinue)) {
    $services[$service.Name] = @{
        state = $service.Status.ToString().ToLowerInvariant()
        start_mode = $service.StartType.ToString().ToLowerInvariant()
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
    }
    iis = @{
        version = if ($inetStp) { "$($inetStp.MajorVersion).$($inetStp.MinorVersion)" } else { $null }
    }
    registry = $registry
    features = $features
    services = $services
}
$module.Result.files = $files
$module.Result.unreadable = $unreadable
$module.ExitJson()
