# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The backup format hardened.iis.iis_apply writes and hardened.iis.iis_restore reads, shared
# by both (format 2, the same as a snapshot's: plugins/plugin_utils/_harden/backup.py and
# docs/host-state.md "Backups"). A backup folder is named by its id (UTC to the microsecond)
# and holds backup.json and files\<n>.bak. Every file is recorded with its SHA-256, every
# registry value with its type. A restore compares first and writes only what differs, so a
# second restore changes nothing.

$script:BackupFormat = 2
$script:KindNames = @{
    DWord = 'dword'
    QWord = 'qword'
    String = 'string'
    ExpandString = 'expandstring'
    MultiString = 'multistring'
    Binary = 'binary'
}
$script:Kinds = @{
    dword = 'DWord'
    qword = 'QWord'
    string = 'String'
    expandstring = 'ExpandString'
    multistring = 'MultiString'
    binary = 'Binary'
}

Function New-HardenedIisBackupId {
    <#
    .SYNOPSIS
    The id of a backup made now: its UTC time to the microsecond (sorts by age).
    #>
    return [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssffffffZ', [System.Globalization.CultureInfo]::InvariantCulture)
}

Function Get-HardenedIisSha256 {
    <#
    .SYNOPSIS
    The lower-case SHA-256 of a file, or $null when there is no such file.
    #>
    param([Parameter(Mandatory = $true)][String]$Path)

    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return $null
    }
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

Function ConvertTo-HardenedIisRegistryPath {
    <#
    .SYNOPSIS
    A registry key as the registry provider names it (HKLM\... becomes HKLM:\...).
    #>
    param([Parameter(Mandatory = $true)][String]$Path)

    return ($Path -replace '^HKLM\\', 'HKLM:\' -replace '^HKEY_LOCAL_MACHINE\\', 'HKLM:\')
}

Function ConvertTo-HardenedIisBackupValue {
    <#
    .SYNOPSIS
    A registry value as backup.json keeps it: numbers and strings as they are, multi-strings
    as a list, binary data as base64.
    #>
    param([Object]$Value, [String]$Type)

    if ($Type -eq 'binary') {
        return [Convert]::ToBase64String([byte[]]$Value)
    }
    # .NET reads DWORD and QWORD data as signed numbers; the registry (and backup.json) keeps them unsigned.
    if ($Type -eq 'dword') {
        return [BitConverter]::ToUInt32([BitConverter]::GetBytes([Int32]$Value), 0)
    }
    if ($Type -eq 'qword') {
        return [BitConverter]::ToUInt64([BitConverter]::GetBytes([Int64]$Value), 0)
    }
    if ($Type -eq 'multistring') {
        return , @($Value | ForEach-Object { [String]$_ })
    }
    return $Value
}

Function Get-HardenedIisRegistryEntry {
    <#
    .SYNOPSIS
    A registry value now: path, name, whether it exists, its type and its data (not expanded).
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Path,
        [Parameter(Mandatory = $true)][String]$Name
    )

    $key = Get-Item -LiteralPath (ConvertTo-HardenedIisRegistryPath -Path $Path) -ErrorAction SilentlyContinue
    if ($null -eq $key -or -not ($key.GetValueNames() -contains $Name)) {
        return @{ path = $Path; name = $Name; existed = $false; type = $null; value = $null }
    }
    $type = $script:KindNames[$key.GetValueKind($Name).ToString()]
    $data = $key.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    return @{ path = $Path; name = $Name; existed = $true; type = $type; value = (ConvertTo-HardenedIisBackupValue -Value $data -Type $type) }
}

Function Test-HardenedIisRegistryEntry {
    <#
    .SYNOPSIS
    Whether a registry value is now exactly as a backup entry recorded it (existence, type and data).
    #>
    param([Parameter(Mandatory = $true)][Object]$Entry)

    $current = Get-HardenedIisRegistryEntry -Path $Entry.path -Name $Entry.name
    if ($current.existed -ne [bool]$Entry.existed) {
        return $false
    }
    if (-not $current.existed) {
        return $true
    }
    if ($current.type -ne $Entry.type) {
        return $false
    }
    return ((ConvertTo-Json -InputObject $current.value -Compress -Depth 3) -ceq (ConvertTo-Json -InputObject $Entry.value -Compress -Depth 3))
}

Function Set-HardenedIisRegistryEntry {
    <#
    .SYNOPSIS
    Puts a registry value as a backup entry recorded it: with its type and data, or removed
    when it did not exist.
    #>
    param([Parameter(Mandatory = $true)][Object]$Entry)

    $key = ConvertTo-HardenedIisRegistryPath -Path $Entry.path
    if (-not $Entry.existed) {
        if (Test-Path -LiteralPath $key) {
            Remove-ItemProperty -LiteralPath $key -Name $Entry.name -ErrorAction SilentlyContinue
        }
        return
    }
    if (-not (Test-Path -LiteralPath $key)) {
        New-Item -Path $key -Force | Out-Null
    }
    $data = $Entry.value
    if ($Entry.type -eq 'binary') {
        $data = [Convert]::FromBase64String([String]$Entry.value)
    }
    elseif ($Entry.type -eq 'multistring') {
        $data = [String[]]@($Entry.value)
    }
    elseif ($Entry.type -eq 'dword') {
        $data = [BitConverter]::ToInt32([BitConverter]::GetBytes([UInt32]$Entry.value), 0)
    }
    elseif ($Entry.type -eq 'qword') {
        $data = [BitConverter]::ToInt64([BitConverter]::GetBytes([UInt64]$Entry.value), 0)
    }
    New-ItemProperty -LiteralPath $key -Name $Entry.name -PropertyType $script:Kinds[$Entry.type] -Value $data -Force | Out-Null
}

Function New-HardenedIisBackup {
    <#
    .SYNOPSIS
    Copies every file a plan writes and records every registry value it changes, then writes
    backup.json. Returns the backup: id, path and manifest.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Root,
        [String[]]$Files = @(),
        [Object[]]$Registry = @()
    )

    $id = New-HardenedIisBackupId
    $folder = Join-Path -Path $Root -ChildPath $id
    New-Item -Path (Join-Path -Path $folder -ChildPath 'files') -ItemType Directory -Force | Out-Null
    $index = 0
    $fileEntries = foreach ($path in $Files) {
        if (Test-Path -LiteralPath $path -PathType Leaf) {
            $copy = "files/$index.bak"
            Copy-Item -LiteralPath $path -Destination (Join-Path -Path $folder -ChildPath $copy) -Force
            [Ordered]@{ path = $path; existed = $true; sha256 = (Get-HardenedIisSha256 -Path $path); copy = $copy }
        }
        else {
            [Ordered]@{ path = $path; existed = $false; sha256 = $null; copy = $null }
        }
        $index++
    }
    $registryEntries = foreach ($value in $Registry) {
        Get-HardenedIisRegistryEntry -Path $value.path -Name $value.name
    }
    $manifest = [Ordered]@{
        format = $script:BackupFormat
        id = $id
        created = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ss.ffffffZ', [System.Globalization.CultureInfo]::InvariantCulture)
        files = @($fileEntries)
        registry = @($registryEntries)
    }
    $json = ConvertTo-Json -InputObject $manifest -Depth 5
    [System.IO.File]::WriteAllText((Join-Path -Path $folder -ChildPath 'backup.json'), $json, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false))
    return @{ id = $id; path = $folder; manifest = $manifest }
}

Function Resolve-HardenedIisBackupFolder {
    <#
    .SYNOPSIS
    The folder of a backup named by its id (under Root) or by its full path.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Backup,
        [Parameter(Mandatory = $true)][String]$Root
    )

    if ($Backup -match '^\d{8}T\d{6}\d{3,6}Z$') {
        return Join-Path -Path $Root -ChildPath $Backup
    }
    return $Backup
}

Function Read-HardenedIisBackup {
    <#
    .SYNOPSIS
    A backup's manifest, checked: a known format, every copy inside the folder and present.
    Throws with the reason; nothing is changed.
    #>
    param([Parameter(Mandatory = $true)][String]$Folder)

    $manifestPath = Join-Path -Path $Folder -ChildPath 'backup.json'
    $manifest = Get-Content -LiteralPath $manifestPath -Raw -ErrorAction Stop | ConvertFrom-Json
    $format = if ($null -ne $manifest.format) { [int]$manifest.format } else { 1 }
    if ($format -ne $script:BackupFormat) {
        throw "The backup '$Folder' has format $format; this release restores format $($script:BackupFormat)"
    }
    $full = [System.IO.Path]::GetFullPath($Folder).TrimEnd('\') + '\'
    foreach ($entry in @($manifest.files)) {
        if (-not $entry.copy) {
            continue
        }
        $copy = [System.IO.Path]::GetFullPath((Join-Path -Path $Folder -ChildPath $entry.copy))
        if (-not $copy.StartsWith($full, [StringComparison]::OrdinalIgnoreCase)) {
            throw "The backup '$Folder' names a copy outside its folder: '$($entry.copy)'"
        }
        if (-not (Test-Path -LiteralPath $copy -PathType Leaf)) {
            throw "The backup '$Folder' is incomplete: '$($entry.copy)' is missing"
        }
    }
    return $manifest
}

Function Get-HardenedIisRestorePlan {
    <#
    .SYNOPSIS
    What differs from a backup: files to put back, files to remove (the apply created them) and
    registry values to put back. Nothing that already matches is listed.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Folder,
        [Parameter(Mandatory = $true)][Object]$Manifest
    )

    $restore = [System.Collections.Generic.List[Object]]@()
    $remove = [System.Collections.Generic.List[Object]]@()
    $registry = [System.Collections.Generic.List[Object]]@()
    foreach ($entry in @($Manifest.files)) {
        if ($entry.existed) {
            if ((Get-HardenedIisSha256 -Path $entry.path) -ne $entry.sha256) {
                $restore.Add(@{ path = $entry.path; copy = (Join-Path -Path $Folder -ChildPath $entry.copy) })
            }
        }
        elseif (Test-Path -LiteralPath $entry.path) {
            $remove.Add($entry.path)
        }
    }
    foreach ($entry in @($Manifest.registry)) {
        if (-not (Test-HardenedIisRegistryEntry -Entry $entry)) {
            $registry.Add($entry)
        }
    }
    return @{ restore = $restore; remove = $remove; registry = $registry }
}

Function Invoke-HardenedIisRestore {
    <#
    .SYNOPSIS
    Carries out a restore plan: each file through a temporary file and a rename, then the
    registry values with their types.
    #>
    param([Parameter(Mandatory = $true)][Object]$Plan)

    foreach ($entry in $Plan.restore) {
        $folder = Split-Path -Path $entry.path -Parent
        if (-not (Test-Path -LiteralPath $folder)) {
            New-Item -Path $folder -ItemType Directory -Force | Out-Null
        }
        $temporary = "$($entry.path).hardened-iis.tmp"
        Copy-Item -LiteralPath $entry.copy -Destination $temporary -Force
        Move-Item -LiteralPath $temporary -Destination $entry.path -Force
    }
    foreach ($path in $Plan.remove) {
        Remove-Item -LiteralPath $path -Force
    }
    foreach ($entry in $Plan.registry) {
        Set-HardenedIisRegistryEntry -Entry $entry
    }
}

$exportMembers = @{
    Function = @(
        'New-HardenedIisBackupId'
        'Get-HardenedIisSha256'
        'ConvertTo-HardenedIisRegistryPath'
        'Get-HardenedIisRegistryEntry'
        'Test-HardenedIisRegistryEntry'
        'Set-HardenedIisRegistryEntry'
        'New-HardenedIisBackup'
        'Resolve-HardenedIisBackupFolder'
        'Read-HardenedIisBackup'
        'Get-HardenedIisRestorePlan'
        'Invoke-HardenedIisRestore'
    )
}
Export-ModuleMember @exportMembers
