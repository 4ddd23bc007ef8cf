# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The backup format hardened.iis.iis_apply writes and hardened.iis.iis_restore reads, shared
# by both (format 2, the same as a snapshot's: plugins/plugin_utils/_harden/backup.py and
# docs/host-state.md "Backups"). A backup folder is named by its id (UTC to the microsecond)
# and holds backup.json and files\<n>.bak. Every file is recorded with its SHA-256, every
# registry value with its type. A restore compares first and writes only what differs, so a
# second restore changes nothing.
#
# Crash consistency and one writer at a time (docs/host-state.md "Interrupted applies and the
# host lock"), the same contract as a snapshot's (plugins/plugin_utils/_harden/intent.py, lock.py):
# - Every file is written to a temporary file beside it, flushed to disk and swapped in
#   ([System.IO.File]::Replace, or a move when it is new): a file is old or new, never torn.
# - backup.json is written last; a backup folder without it is incomplete and is removed.
# - hardened-iis-intent.json, under the backup root, names the backup and every change; it is
#   written before the first change and removed once the change is validated. A record found by
#   the next caller that holds the lock means an apply never finished: its backup is restored.
# - hardened-iis.lock, under the backup root, is held (opened for writing, no write sharing,
#   deleted on close) for as long as an apply or a restore runs. Windows closes it when the
#   process ends, however it ends, so a killed call never blocks the next one.

$script:BackupFormat = 2
$script:IntentFormat = 1
$script:IntentName = 'hardened-iis-intent.json'
$script:LockName = 'hardened-iis.lock'
$script:BackupIdPattern = '^\d{8}T\d{6}\d{3,6}Z$'
$script:Utf8 = New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $false
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

Function Write-HardenedIisFile {
    <#
    .SYNOPSIS
    Writes a file so that it is the old one or the new one after any crash: a temporary file
    beside it, flushed to disk, then swapped in (File.Replace keeps the file's ACL), or moved
    into place when the file is new.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Path,
        [Parameter(Mandatory = $true)][AllowEmptyCollection()][byte[]]$Bytes
    )

    $folder = Split-Path -Path $Path -Parent
    if (-not (Test-Path -LiteralPath $folder)) {
        New-Item -Path $folder -ItemType Directory -Force | Out-Null
    }
    $temporary = "$Path.hardened-iis.tmp"
    $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $temporary, ([System.IO.FileMode]::Create), ([System.IO.FileAccess]::Write), ([System.IO.FileShare]::None)
    try {
        $stream.Write($Bytes, 0, $Bytes.Length)
        $stream.Flush($true)
    }
    finally {
        $stream.Dispose()
    }
    if (Test-Path -LiteralPath $Path -PathType Leaf) {
        [System.IO.File]::Replace($temporary, $Path, [NullString]::Value)
    }
    else {
        [System.IO.File]::Move($temporary, $Path)
    }
}

Function Get-HardenedIisFreeSpace {
    <#
    .SYNOPSIS
    The free space of the drive a folder is on, in words, for a full disk's message.
    #>
    param([Parameter(Mandatory = $true)][String]$Folder)

    try {
        $drive = New-Object -TypeName System.IO.DriveInfo -ArgumentList ([System.IO.Path]::GetPathRoot([System.IO.Path]::GetFullPath($Folder)))
        return "$($drive.AvailableFreeSpace) bytes free on $($drive.Name)"
    }
    catch {
        return "its free space cannot be read"
    }
}

Function Format-HardenedIisHolder {
    <#
    .SYNOPSIS
    A lock holder in words: what it does, who on which controller, its process on this host, since when.
    #>
    param([Object]$Holder)

    if ($null -eq $Holder) {
        return 'a holder that did not say who it is'
    }
    return "$($Holder.purpose) by $($Holder.user) on $($Holder.controller) (host process $($Holder.host_pid)) since $($Holder.since)"
}

Function Read-HardenedIisLockHolder {
    <#
    .SYNOPSIS
    Who holds the host's lock, read without disturbing it ($null when it says nothing).
    #>
    param([Parameter(Mandatory = $true)][String]$Path)

    try {
        $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
        $stream = New-Object -TypeName System.IO.FileStream -ArgumentList $Path, ([System.IO.FileMode]::Open), ([System.IO.FileAccess]::Read), $share
        try {
            $reader = New-Object -TypeName System.IO.StreamReader -ArgumentList $stream, $script:Utf8
            $text = $reader.ReadToEnd()
        }
        finally {
            $stream.Dispose()
        }
        if (-not $text) {
            return $null
        }
        return ($text | ConvertFrom-Json)
    }
    catch {
        return $null
    }
}

Function Enter-HardenedIisLock {
    <#
    .SYNOPSIS
    Takes the host's lock (hardened-iis.lock under Root), waiting up to Timeout seconds, and
    writes the holder into it. Returns the open lock (stream, holder, and waited_for: the holder
    it waited for, or $null); throws naming the holder when it is not released in time. The lock
    is released by Exit-HardenedIisLock, or when the process ends.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Root,
        [Parameter(Mandatory = $true)][Int]$Timeout,
        [System.Collections.IDictionary]$Holder = @{}
    )

    if (-not (Test-Path -LiteralPath $Root)) {
        New-Item -Path $Root -ItemType Directory -Force | Out-Null
    }
    $path = Join-Path -Path $Root -ChildPath $script:LockName
    $deadline = [DateTime]::UtcNow.AddSeconds($Timeout)
    $share = [System.IO.FileShare]::Read -bor [System.IO.FileShare]::Delete
    $waitedFor = $null
    while ($true) {
        try {
            $lock = New-Object -TypeName System.IO.FileStream -ArgumentList $path, ([System.IO.FileMode]::OpenOrCreate), ([System.IO.FileAccess]::ReadWrite), $share, 4096, ([System.IO.FileOptions]::DeleteOnClose)
            break
        }
        catch {
            # A sharing violation (held), or a delete still pending from the previous holder: wait and try again.
            $failure = $_.Exception
            while ($null -ne $failure.InnerException -and -not ($failure -is [System.IO.IOException] -or $failure -is [System.UnauthorizedAccessException])) {
                $failure = $failure.InnerException
            }
            if (-not ($failure -is [System.IO.IOException] -or $failure -is [System.UnauthorizedAccessException])) {
                throw
            }
            $current = Format-HardenedIisHolder -Holder (Read-HardenedIisLockHolder -Path $path)
            if ($null -eq $waitedFor) {
                $waitedFor = $current
            }
            if ([DateTime]::UtcNow -ge $deadline) {
                throw "The host is being changed by another hardened.iis call: $current; waited $Timeout s for '$path' (lock_timeout) and changed nothing"
            }
            Start-Sleep -Milliseconds 200
        }
    }
    $record = @{}
    foreach ($key in $Holder.Keys) {
        $record[$key] = $Holder[$key]
    }
    $record.host_pid = $PID
    $bytes = $script:Utf8.GetBytes((ConvertTo-Json -InputObject $record -Compress -Depth 3))
    $lock.SetLength(0)
    $lock.Write($bytes, 0, $bytes.Length)
    $lock.Flush($true)
    return @{ stream = $lock; holder = $record; waited_for = $waitedFor }
}

Function Exit-HardenedIisLock {
    <#
    .SYNOPSIS
    Releases the host's lock (the file is deleted as it closes).
    #>
    param([Object]$Lock)

    if ($null -ne $Lock) {
        $Lock.stream.Dispose()
    }
}

Function Write-HardenedIisIntent {
    <#
    .SYNOPSIS
    Writes the intent record (hardened-iis-intent.json under Root) durably, before the first change.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Root,
        [Parameter(Mandatory = $true)][Object]$Intent
    )

    $json = ConvertTo-Json -InputObject $Intent -Depth 6
    Write-HardenedIisFile -Path (Join-Path -Path $Root -ChildPath $script:IntentName) -Bytes ($script:Utf8.GetBytes($json))
}

Function Read-HardenedIisIntent {
    <#
    .SYNOPSIS
    The intent record under Root, or $null when there is none. Throws when it cannot be used.
    #>
    param([Parameter(Mandatory = $true)][String]$Root)

    $path = Join-Path -Path $Root -ChildPath $script:IntentName
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        return $null
    }
    $intent = [System.IO.File]::ReadAllText($path, $script:Utf8) | ConvertFrom-Json
    if ($intent.format -ne $script:IntentFormat -or -not ("$($intent.backup)" -match $script:BackupIdPattern)) {
        throw "The intent record '$path' cannot be used (format $($intent.format), backup '$($intent.backup)'); check the host, then remove that file"
    }
    return $intent
}

Function Remove-HardenedIisIntent {
    <#
    .SYNOPSIS
    Removes the intent record under Root (the change it announced is complete, or undone).
    #>
    param([Parameter(Mandatory = $true)][String]$Root)

    $path = Join-Path -Path $Root -ChildPath $script:IntentName
    if (Test-Path -LiteralPath $path) {
        Remove-Item -LiteralPath $path -Force
    }
}

Function Get-HardenedIisBytesSha256 {
    <#
    .SYNOPSIS
    The lower-case SHA-256 of some bytes.
    #>
    param([Parameter(Mandatory = $true)][AllowEmptyCollection()][byte[]]$Bytes)

    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        return ([BitConverter]::ToString($sha.ComputeHash($Bytes)) -replace '-', '').ToLowerInvariant()
    }
    finally {
        $sha.Dispose()
    }
}

Function Get-HardenedIisValueSha256 {
    <#
    .SYNOPSIS
    The SHA-256 of a registry entry (existence, type, data) as compact JSON, for the intent record.
    #>
    param([Parameter(Mandatory = $true)][Object]$Entry)

    $text = ConvertTo-Json -InputObject @{ existed = [bool]$Entry.existed; type = $Entry.type; value = $Entry.value } -Compress -Depth 3
    return Get-HardenedIisBytesSha256 -Bytes ($script:Utf8.GetBytes($text))
}

Function New-HardenedIisIntent {
    <#
    .SYNOPSIS
    The intent record of an apply: its backup, its holder, every file (base64 content) and
    registry value it is about to change with their SHA-256 before and after.
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Backup,
        [System.Collections.IDictionary]$Holder = @{},
        [Object[]]$Files = @(),
        [Object[]]$Registry = @()
    )

    $fileEntries = foreach ($file in $Files) {
        $after = Get-HardenedIisBytesSha256 -Bytes ([Convert]::FromBase64String($file.content))
        [Ordered]@{ path = $file.path; before_sha256 = $file.before_sha256; after_sha256 = $after }
    }
    $registryEntries = foreach ($value in $Registry) {
        $before = Get-HardenedIisValueSha256 -Entry (Get-HardenedIisRegistryEntry -Path $value.path -Name $value.name)
        [Ordered]@{ path = $value.path; name = $value.name; before_sha256 = $before; after_sha256 = (Get-HardenedIisValueSha256 -Entry $value) }
    }
    return [Ordered]@{
        format = $script:IntentFormat
        backup = $Backup
        started = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
        holder = $Holder
        files = @($fileEntries)
        registry = @($registryEntries)
    }
}

Function Remove-HardenedIisOldBackup {
    <#
    .SYNOPSIS
    Keeps the newest Keep complete backups under Root (folders named by an id, with backup.json).
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Root,
        [Parameter(Mandatory = $true)][Int]$Keep
    )

    $complete = Get-ChildItem -LiteralPath $Root -Directory | Where-Object {
        $_.Name -match $script:BackupIdPattern -and (Test-Path -LiteralPath (Join-Path -Path $_.FullName -ChildPath 'backup.json'))
    }
    foreach ($folder in ($complete | Sort-Object -Property Name -Descending | Select-Object -Skip $Keep)) {
        Remove-Item -LiteralPath $folder.FullName -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Function Remove-HardenedIisIncompleteBackup {
    <#
    .SYNOPSIS
    Removes the backup folders under Root that a killed call left without backup.json. Call it holding the lock.
    #>
    param([Parameter(Mandatory = $true)][String]$Root)

    if (-not (Test-Path -LiteralPath $Root)) {
        return
    }
    foreach ($folder in (Get-ChildItem -LiteralPath $Root -Directory)) {
        if ($folder.Name -match $script:BackupIdPattern -and -not (Test-Path -LiteralPath (Join-Path -Path $folder.FullName -ChildPath 'backup.json'))) {
            Remove-Item -LiteralPath $folder.FullName -Recurse -Force
        }
    }
}

Function Get-HardenedIisIntentSummary {
    <#
    .SYNOPSIS
    What an intent record says of its apply, as reported to the controller (interrupted_apply and
    recovered_interrupted_apply): backup, started, holder, and the files and registry values it was changing.
    #>
    param([Parameter(Mandatory = $true)][Object]$Intent)

    return [Ordered]@{
        backup = $Intent.backup
        started = $Intent.started
        holder = $Intent.holder
        files = @($Intent.files | ForEach-Object { $_.path })
        registry = @($Intent.registry | ForEach-Object { "$($_.path)\$($_.name)" })
    }
}

Function Get-HardenedIisIntentPath {
    <#
    .SYNOPSIS
    Where the intent record of an apply is kept under a backup root.
    #>
    param([Parameter(Mandatory = $true)][String]$Root)

    return Join-Path -Path $Root -ChildPath $script:IntentName
}

Function Enter-HardenedIisModuleLock {
    <#
    .SYNOPSIS
    The host's lock for a module that changes the host, or $null in check mode (which writes
    nothing and takes none); fails the module, naming the holder, when it cannot be had.
    #>
    param(
        [Parameter(Mandatory = $true)][Object]$Module,
        [Parameter(Mandatory = $true)][String]$Root
    )

    if ($Module.CheckMode) {
        return $null
    }
    try {
        return Enter-HardenedIisLock -Root $Root -Timeout $Module.Params.lock_timeout -Holder $Module.Params.lock_holder
    }
    catch {
        $Module.FailJson($_.Exception.Message, $_)
    }
}

Function Complete-HardenedIisInterruptedApply {
    <#
    .SYNOPSIS
    Call it holding the lock: an intent record found means an apply never finished. Its backup
    is restored (compare first), leftover temporary files removed and the record removed.
    Returns what was done (recovered_interrupted_apply), or $null when there was no record (or,
    with Backup, when the record names another backup).
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Root,
        [String]$Backup
    )

    Remove-HardenedIisIncompleteBackup -Root $Root
    $intent = Read-HardenedIisIntent -Root $Root
    if ($null -eq $intent -or ($Backup -and $intent.backup -ne $Backup)) {
        return $null
    }
    $folder = Join-Path -Path $Root -ChildPath $intent.backup
    try {
        $plan = Get-HardenedIisRestorePlan -Folder $folder -Manifest (Read-HardenedIisBackup -Folder $folder)
        Invoke-HardenedIisRestore -Plan $plan
    }
    catch {
        throw "An apply that never finished (backup $($intent.backup), started $($intent.started) by $(Format-HardenedIisHolder -Holder $intent.holder)) left the host partly changed, and its backup cannot be restored: $($_.Exception.Message). Check the host, then remove '$(Join-Path -Path $Root -ChildPath $script:IntentName)'"
    }
    foreach ($entry in @($intent.files)) {
        $temporary = "$($entry.path).hardened-iis.tmp"
        if (Test-Path -LiteralPath $temporary -PathType Leaf) {
            Remove-Item -LiteralPath $temporary -Force
        }
    }
    Remove-HardenedIisIntent -Root $Root
    $found = Get-HardenedIisIntentSummary -Intent $intent
    $found.completed = $true
    $found.restored = @($plan.restore | ForEach-Object { $_.path })
    $found.removed = @($plan.remove)
    $found.registry_restored = $plan.registry.Count
    return $found
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
    try {
        New-Item -Path (Join-Path -Path $folder -ChildPath 'files') -ItemType Directory -Force | Out-Null
        $index = 0
        $fileEntries = foreach ($path in $Files) {
            if (Test-Path -LiteralPath $path -PathType Leaf) {
                $copy = "files/$index.bak"
                Write-HardenedIisFile -Path (Join-Path -Path $folder -ChildPath $copy) -Bytes ([System.IO.File]::ReadAllBytes($path))
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
        # backup.json last: a folder without it is an incomplete backup.
        $json = ConvertTo-Json -InputObject $manifest -Depth 5
        Write-HardenedIisFile -Path (Join-Path -Path $folder -ChildPath 'backup.json') -Bytes ($script:Utf8.GetBytes($json))
    }
    catch {
        $failure = $_.Exception.Message
        if (Test-Path -LiteralPath $folder) {
            Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue
        }
        throw "Backing up to '$folder' failed ($failure; $(Get-HardenedIisFreeSpace -Folder $Root)); the incomplete backup folder was removed and nothing was changed"
    }
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

    if ($Backup -match $script:BackupIdPattern) {
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
        Write-HardenedIisFile -Path $entry.path -Bytes ([System.IO.File]::ReadAllBytes($entry.copy))
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
        'Write-HardenedIisFile'
        'Get-HardenedIisFreeSpace'
        'Format-HardenedIisHolder'
        'Read-HardenedIisLockHolder'
        'Enter-HardenedIisLock'
        'Exit-HardenedIisLock'
        'Write-HardenedIisIntent'
        'Read-HardenedIisIntent'
        'Remove-HardenedIisIntent'
        'Get-HardenedIisBytesSha256'
        'Get-HardenedIisValueSha256'
        'New-HardenedIisIntent'
        'Remove-HardenedIisOldBackup'
        'Remove-HardenedIisIncompleteBackup'
        'Get-HardenedIisIntentSummary'
        'Get-HardenedIisIntentPath'
        'Enter-HardenedIisModuleLock'
        'Complete-HardenedIisInterruptedApply'
        'New-HardenedIisBackup'
        'Resolve-HardenedIisBackupFolder'
        'Read-HardenedIisBackup'
        'Get-HardenedIisRestorePlan'
        'Invoke-HardenedIisRestore'
    )
}
Export-ModuleMember @exportMembers
