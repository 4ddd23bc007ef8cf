#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# File-integrity capture, in one call, reading only: walks the roots, and returns one row per
# file, folder and link with its size, modification time, content hash, R/H/S attributes,
# owner and a digest of its security descriptor, gzip-compressed. The controller compares
# manifests and decides; this module decides nothing. The POSIX module integrity_capture
# (integrity_capture.py) takes the same options and returns the same manifest format.

$spec = @{
    options = @{
        roots = @{ type = 'list'; elements = 'path'; required = $true }
        exclude = @{ type = 'list'; elements = 'str'; default = @() }
        algorithm = @{ type = 'str'; default = 'sha256'; choices = 'sha256', 'sha512', 'blake2b' }
        previous = @{ type = 'str'; default = '' }
        max_unreadable = @{ type = 'int'; default = 1000 }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$watch = [System.Diagnostics.Stopwatch]::StartNew()

$algorithm = $module.Params.algorithm
if ($algorithm -eq 'blake2b') {
    $module.FailJson('blake2b is not available on Windows (.NET has no BLAKE2); use sha256 or sha512')
}
$hexLength = if ($algorithm -eq 'sha512') { 128 } else { 64 }

$unreadable = [System.Collections.Generic.List[Object]]@()
$unreadableTotal = @{ total = 0 }
$maxUnreadable = $module.Params.max_unreadable

Function Add-Unreadable {
    # Every unreadable entry is counted; only the first max_unreadable are kept.
    param([String]$Path, [String]$Reason)

    $unreadableTotal.total++
    if ($unreadable.Count -lt $maxUnreadable) {
        $unreadable.Add(@{ path = $Path; reason = $Reason })
    }
}

Function Get-HashAlgorithm {
    # The CNG classes are the operating system's implementation: FIPS-approved, and faster than
    # SHA256Managed, which SHA256.Create() returns on .NET Framework (and which throws when the
    # FIPS policy is on). Where they cannot be found (PowerShell 7 before the assembly is
    # loaded), Create() already returns the operating system's implementation.
    param([String]$Name)

    if ($Name -eq 'sha512') {
        $cng = 'System.Security.Cryptography.SHA512Cng' -as [Type]
        if ($cng) {
            return $cng::new()
        }
        return [System.Security.Cryptography.SHA512]::Create()
    }
    $cng = 'System.Security.Cryptography.SHA256Cng' -as [Type]
    if ($cng) {
        return $cng::new()
    }
    return [System.Security.Cryptography.SHA256]::Create()
}

Function ConvertTo-Hex {
    param([Byte[]]$Bytes)

    return [BitConverter]::ToString($Bytes).Replace('-', '').ToLowerInvariant()
}

# JSON is written by hand: ConvertTo-Json takes minutes on 100,000 rows. A string is quoted
# with backslash and quote escaped; control characters and unpaired UTF-16 surrogates (NTFS
# names are not required to be valid UTF-16) are written as \uXXXX so the UTF-8 stays valid.
$jsonUnsafe = [Regex]::new('[\x00-\x1f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]')
$jsonEvaluator = [System.Text.RegularExpressions.MatchEvaluator]{
    param($match)
    '\u{0:x4}' -f [int]$match.Value[0]
}

Function ConvertTo-JsonString {
    param([String]$Text)

    if ($null -eq $Text) {
        return 'null'
    }
    $escaped = $Text.Replace('\', '\\').Replace('"', '\"')
    if ($jsonUnsafe.IsMatch($escaped)) {
        $escaped = $jsonUnsafe.Replace($escaped, $jsonEvaluator)
    }
    return '"' + $escaped + '"'
}

# Exclusion globs, matched case-insensitively against the whole path (anchored at both ends),
# with the semantics of the controller's glob_pattern (module_utils/_integrity/manifest.py),
# which applies the same globs to policies and to the POSIX capture:
#   *    any characters within one path segment (never a separator)
#   ?    one character within a path segment
#   **   any characters, separators included ('C:\inetpub\logs\**' is everything below
#        C:\inetpub\logs, not the folder itself; '**\Temporary ASP.NET Files\**' is everything
#        below a folder of that name anywhere)
#   \ and / are both separators; every other character is literal ([...] is not a class).
# A pattern without a drive or a leading ** matches nothing below a root: write '**\*.log',
# not '*.log'. An excluded folder is neither recorded nor listed. All patterns are converted
# once into one .NET regular expression.
Function ConvertTo-GlobRegex {
    param([String]$Glob)

    $builder = [System.Text.StringBuilder]::new()
    $index = 0
    while ($index -lt $Glob.Length) {
        $character = $Glob[$index]
        if ($character -eq '*' -and $index + 1 -lt $Glob.Length -and $Glob[$index + 1] -eq '*') {
            [void]$builder.Append('.*')
            $index += 2
            continue
        }
        if ($character -eq '*') {
            [void]$builder.Append('[^\\/]*')
        }
        elseif ($character -eq '?') {
            [void]$builder.Append('[^\\/]')
        }
        elseif ($character -eq '\' -or $character -eq '/') {
            [void]$builder.Append('[\\/]')
        }
        else {
            [void]$builder.Append([Regex]::Escape([String]$character))
        }
        $index++
    }
    return $builder.ToString()
}

$excludeRegex = $null
$excludeParts = [System.Collections.Generic.List[String]]@()
foreach ($pattern in $module.Params.exclude) {
    if ($pattern) {
        $excludeParts.Add('(?:' + (ConvertTo-GlobRegex -Glob $pattern) + ')')
    }
}
if ($excludeParts.Count -gt 0) {
    $excludeOptions = [System.Text.RegularExpressions.RegexOptions]'IgnoreCase, CultureInvariant, Singleline, Compiled'
    $excludeRegex = [Regex]::new('^(?:' + ($excludeParts -join '|') + ')$', $excludeOptions)
}

# The previous baseline: base64 of gzip of a JSON object {normalised_path: [size, mtime_ns, hash]}.
# Paths are looked up case-insensitively with / read as \, whatever normalisation the
# controller applied to the keys.
$previousByPath = [System.Collections.Generic.Dictionary[String, Object]]::new([StringComparer]::OrdinalIgnoreCase)
if ($module.Params.previous) {
    try {
        $packedPrevious = [System.IO.MemoryStream]::new([Convert]::FromBase64String($module.Params.previous))
        $gunzip = [System.IO.Compression.GZipStream]::new($packedPrevious, [System.IO.Compression.CompressionMode]::Decompress)
        $reader = [System.IO.StreamReader]::new($gunzip, [System.Text.UTF8Encoding]::new($false))
        try {
            $previousJson = $reader.ReadToEnd()
        }
        finally {
            $reader.Dispose()
        }
        if ($PSVersionTable.PSVersion.Major -ge 6) {
            $parsed = ConvertFrom-Json -InputObject $previousJson -AsHashtable
        }
        else {
            # JavaScriptSerializer with no length limit: ConvertFrom-Json of Windows PowerShell
            # builds a PSCustomObject with one property per path, which is far slower.
            $parsed = [Ansible.Basic.AnsibleModule]::FromJson($previousJson)
        }
    }
    catch {
        $module.FailJson("previous is not base64 of gzip of a JSON object: $($_.Exception.Message)", $_)
    }
    if ($parsed -isnot [System.Collections.IDictionary]) {
        $module.FailJson('previous is not base64 of gzip of a JSON object {path: [size, mtime_ns, hash]}')
    }
    foreach ($entry in $parsed.GetEnumerator()) {
        $previousByPath[([String]$entry.Key).Replace('/', '\')] = $entry.Value
    }
}

$hasher = Get-HashAlgorithm -Name $algorithm
$aclHasher = Get-HashAlgorithm -Name 'sha256'
$utf8 = [System.Text.UTF8Encoding]::new($false)

$fileMode = [System.IO.FileMode]::Open
$fileAccess = [System.IO.FileAccess]::Read
$fileShare = [System.IO.FileShare]'ReadWrite, Delete'
$fileOptions = [System.IO.FileOptions]::SequentialScan
$bufferSize = 1048576

$sections = [System.Security.AccessControl.AccessControlSections]'Access, Owner, Group'
# File.GetAccessControl and Directory.GetAccessControl are static methods of .NET Framework
# (Windows PowerShell 5.1); .NET 5+ (PowerShell 7) has only the FileSystemAclExtensions.
$staticAcl = $null -ne [System.IO.File].GetMethod('GetAccessControl', [Type[]]@([String], [System.Security.AccessControl.AccessControlSections]))
$ownerNames = [System.Collections.Generic.Dictionary[String, String]]::new()
$aclDigests = [System.Collections.Generic.Dictionary[String, String]]::new([StringComparer]::Ordinal)

$readOnlyFlag = [int][System.IO.FileAttributes]::ReadOnly
$hiddenFlag = [int][System.IO.FileAttributes]::Hidden
$systemFlag = [int][System.IO.FileAttributes]::System
$directoryFlag = [int][System.IO.FileAttributes]::Directory
$reparseFlag = [int][System.IO.FileAttributes]::ReparsePoint

# mtime_ns is LastWriteTimeUtc in nanoseconds since 1970-01-01 UTC. Ticks are clamped so the
# product stays an Int64 (PowerShell silently turns an overflowing Int64 into a Double): a
# file with no time (1601-01-01, FILETIME 0) gets the smallest value, never a wrong type.
$epochTicks = [Int64]621355968000000000
$maxTicks = [Int64]92233720368547758
$minTicks = -$maxTicks

$roots = [System.Collections.Generic.List[String]]@()
$rootItems = [System.Collections.Generic.List[System.IO.FileSystemInfo]]@()
foreach ($root in $module.Params.roots) {
    # The path type of Ansible.Basic has already expanded the environment variables.
    $full = [System.IO.Path]::GetFullPath($root)
    if ($full.Length -gt 3) {
        $full = $full.TrimEnd([char[]]@('\', '/'))
    }
    $roots.Add($full)
    if ([System.IO.Directory]::Exists($full)) {
        $rootItems.Add([System.IO.DirectoryInfo]::new($full))
    }
    elseif ([System.IO.File]::Exists($full)) {
        $rootItems.Add([System.IO.FileInfo]::new($full))
    }
    else {
        Add-Unreadable -Path $full -Reason 'not found'
    }
}

$seen = [System.Collections.Generic.HashSet[String]]::new([StringComparer]::OrdinalIgnoreCase)
$stack = [System.Collections.Generic.Stack[System.IO.DirectoryInfo]]::new()
$json = [System.Text.StringBuilder]::new(1048576)
[void]$json.Append('[')
$rowCount = 0
$fileCount = 0
$directoryCount = 0
$hashedCount = 0
$reusedCount = 0
$bytesHashed = [Int64]0

# The walk: the roots are the first batch, then each folder's entries, listed with
# EnumerateFileSystemInfos so attributes, size and times come from the directory listing
# without a call per entry. The listing is copied into a list inside the try, so an access
# error anywhere in it is caught there. Reparse points that are symbolic links or junctions
# are recorded and never followed, a root included (as the POSIX capture does with lstat):
# name the target as a root to walk it.
$batch = $rootItems
while ($true) {
    foreach ($item in $batch) {
        $path = $item.FullName
        if ($null -ne $excludeRegex -and $excludeRegex.IsMatch($path)) {
            continue
        }
        if (-not $seen.Add($path)) {
            # Overlapping roots: each entry once.
            continue
        }
        $flags = [int]$item.Attributes
        $isDirectory = ($flags -band $directoryFlag) -ne 0
        $type = if ($isDirectory) { 'directory' } else { 'file' }
        $walk = $isDirectory
        $targetJson = 'null'

        if (($flags -band $reparseFlag) -ne 0) {
            # Deduplicated, WOF-compressed and cloud files are reparse points too; only the link
            # type tells a link from a file. Get-Item is called for reparse points only: its
            # LinkType and Target (a list of strings on Windows PowerShell 5.1, a string on
            # PowerShell 7, where it is .NET's LinkTarget) read the reparse data without
            # following the link.
            $linkType = $null
            $target = $null
            try {
                $link = Get-Item -LiteralPath $path -Force -ErrorAction Stop
                $linkType = [String]$link.LinkType
                $targets = @($link.Target)
                if ($targets.Count -gt 0 -and $targets[0]) {
                    $target = [String]$targets[0]
                }
            }
            catch {
                # The link type is unknown: a folder is taken for a junction and a file for a
                # symbolic link, and neither is followed nor read.
                Add-Unreadable -Path $path -Reason "link: $($_.Exception.Message)"
                $linkType = if ($isDirectory) { 'Junction' } else { 'SymbolicLink' }
            }
            if ($linkType -eq 'SymbolicLink' -or $linkType -eq 'Junction') {
                $type = if ($linkType -eq 'Junction') { 'junction' } else { 'symlink' }
                $walk = $false
                $targetJson = ConvertTo-JsonString -Text $target
            }
        }

        $size = [Int64]0
        $hashJson = 'null'
        if ($type -eq 'file') {
            $fileCount++
            $size = $item.Length
        }
        elseif ($type -eq 'directory') {
            $directoryCount++
        }

        $ticks = $item.LastWriteTimeUtc.Ticks - $epochTicks
        if ($ticks -gt $maxTicks) {
            $ticks = $maxTicks
        }
        elseif ($ticks -lt $minTicks) {
            $ticks = $minTicks
        }
        $mtime = $ticks * 100

        # Archive (A) is not recorded: backup software clears it and every write sets it again,
        # so it would report changes that are not.
        $attributes = ''
        if ($flags -band $readOnlyFlag) {
            $attributes += 'R'
        }
        if ($flags -band $hiddenFlag) {
            $attributes += 'H'
        }
        if ($flags -band $systemFlag) {
            $attributes += 'S'
        }

        if ($type -eq 'file') {
            # Incremental mode: same size and modification time as in the previous baseline,
            # the previous hash is kept and the file is not read.
            $old = $null
            if ($previousByPath.Count -gt 0 -and $previousByPath.TryGetValue($path, [ref]$old) -and $null -ne $old -and $old.Count -ge 3) {
                $oldHash = $old[2]
                if ($oldHash -is [String] -and $oldHash.Length -eq $hexLength -and ($old[0] -as [Int64]) -eq $size -and ($old[1] -as [Int64]) -eq $mtime) {
                    $hashJson = '"' + $oldHash.ToLowerInvariant() + '"'
                    $reusedCount++
                }
            }
            if ($hashJson -eq 'null') {
                $stream = $null
                try {
                    $stream = [System.IO.FileStream]::new($path, $fileMode, $fileAccess, $fileShare, $bufferSize, $fileOptions)
                    $digest = $hasher.ComputeHash($stream)
                    $bytesHashed += $stream.Position
                    $hashJson = '"' + (ConvertTo-Hex -Bytes $digest) + '"'
                    $hashedCount++
                }
                catch [System.UnauthorizedAccessException], [System.IO.IOException], [System.NotSupportedException], [System.ArgumentException], [System.Security.SecurityException] {
                    # IOException covers PathTooLongException, FileNotFoundException and sharing
                    # violations. A hash stopped halfway leaves the algorithm's state dirty: start
                    # a new one.
                    Add-Unreadable -Path $path -Reason "read: $($_.Exception.GetBaseException().Message)"
                    $hasher.Dispose()
                    $hasher = Get-HashAlgorithm -Name $algorithm
                }
                finally {
                    if ($null -ne $stream) {
                        $stream.Dispose()
                    }
                }
            }
        }

        # Owner and security descriptor of files and folders. Links get neither: reading a
        # descriptor by name goes through the link to its target, which is recorded where it
        # is walked itself, and fails on a dangling link.
        $ownerJson = 'null'
        $aclJson = 'null'
        if ($type -eq 'file' -or $type -eq 'directory') {
            $security = $null
            try {
                if (-not $staticAcl) {
                    $security = [System.IO.FileSystemAclExtensions]::GetAccessControl($item, $sections)
                }
                elseif ($isDirectory) {
                    $security = [System.IO.Directory]::GetAccessControl($path, $sections)
                }
                else {
                    $security = [System.IO.File]::GetAccessControl($path, $sections)
                }
            }
            catch [System.UnauthorizedAccessException], [System.IO.IOException], [System.InvalidOperationException], [System.NotSupportedException], [System.ArgumentException] {
                # PrivilegeNotHeldException is an UnauthorizedAccessException; other Win32
                # errors of GetNamedSecurityInfo are InvalidOperationException.
                Add-Unreadable -Path $path -Reason "acl: $($_.Exception.GetBaseException().Message)"
            }
            if ($null -ne $security) {
                $ownerSid = $security.GetOwner([System.Security.Principal.SecurityIdentifier])
                if ($null -ne $ownerSid) {
                    $sid = $ownerSid.Value
                    if (-not $ownerNames.ContainsKey($sid)) {
                        # Translated once per SID; a SID with no account (deleted, or a domain
                        # that does not answer, which raises a SystemException) stays a SID.
                        try {
                            $account = $ownerSid.Translate([System.Security.Principal.NTAccount]).Value
                        }
                        catch [System.Security.Principal.IdentityNotMappedException], [System.SystemException] {
                            $account = $sid
                        }
                        $ownerNames[$sid] = ConvertTo-JsonString -Text $account
                    }
                    $ownerJson = $ownerNames[$sid]
                }
                # A digest of the SDDL, not the SDDL: inherited descriptors repeat thousands of
                # times and the controller only compares them.
                $sddl = $security.GetSecurityDescriptorSddlForm($sections)
                if (-not $aclDigests.ContainsKey($sddl)) {
                    $aclDigests[$sddl] = '"' + (ConvertTo-Hex -Bytes ($aclHasher.ComputeHash($utf8.GetBytes($sddl)))) + '"'
                }
                $aclJson = $aclDigests[$sddl]
            }
        }

        # The path as Windows gives it (original case); inline rather than ConvertTo-JsonString,
        # which costs a function call per row, unless it holds a character to escape.
        if ($jsonUnsafe.IsMatch($path)) {
            $pathJson = ConvertTo-JsonString -Text $path
        }
        else {
            $pathJson = '"' + $path.Replace('\', '\\').Replace('"', '\"') + '"'
        }
        if ($rowCount -gt 0) {
            [void]$json.Append(',')
        }
        # Numbers in an expandable string are formatted with the invariant culture.
        [void]$json.Append("[$pathJson,""$type"",$size,$mtime,$hashJson,""$attributes"",$ownerJson,$aclJson,$targetJson]")
        $rowCount++

        if ($walk) {
            $stack.Push([System.IO.DirectoryInfo]$item)
        }
    }
    if ($stack.Count -eq 0) {
        break
    }
    $directory = $stack.Pop()
    try {
        $batch = [System.Collections.Generic.List[System.IO.FileSystemInfo]]::new($directory.EnumerateFileSystemInfos())
    }
    catch [System.UnauthorizedAccessException], [System.IO.IOException], [System.Security.SecurityException] {
        # IOException covers PathTooLongException and a folder removed during the walk.
        Add-Unreadable -Path $directory.FullName -Reason "list: $($_.Exception.GetBaseException().Message)"
        $batch = @()
    }
}
[void]$json.Append(']')

$packed = [System.IO.MemoryStream]::new()
$gzip = [System.IO.Compression.GZipStream]::new($packed, [System.IO.Compression.CompressionLevel]::Optimal, $true)
try {
    $bytes = $utf8.GetBytes($json.ToString())
    $gzip.Write($bytes, 0, $bytes.Length)
}
finally {
    $gzip.Dispose()
}
$json = $null
$bytes = $null
$hasher.Dispose()
$aclHasher.Dispose()

$module.Result.manifest = @{
    format = 'hardened.iis/manifest/v1'
    platform = 'windows'
    algorithm = $algorithm
    case_insensitive = $true
    roots = $roots
    exclude = @($module.Params.exclude)
    count = $rowCount
    rows_gz = [Convert]::ToBase64String($packed.ToArray())
}
$module.Result.unreadable = $unreadable
$module.Result.unreadable_count = $unreadableTotal.total
$module.Result.stats = @{
    files = $fileCount
    directories = $directoryCount
    bytes_hashed = $bytesHashed
    hashed = $hashedCount
    reused = $reusedCount
    seconds = [Math]::Round($watch.Elapsed.TotalSeconds, 3)
}
$module.ExitJson()
