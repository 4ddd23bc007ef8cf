#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Puts a host back as it was before one hardened.iis.iis_apply call, from that call's backup
# folder (backup.json: every file with its copy, or none when the apply created it; every
# registry value with whether it existed and its data before). Decides nothing else.

$spec = @{
    options = @{
        backup = @{ type = 'path'; required = $true }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$module.Result.backup = $module.Params.backup
$module.Result.restored = @()
$module.Result.removed = @()
$module.Result.registry = 0

Function Get-Sha256 {
    param([String]$Path)

    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return $null
    }
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

$manifestPath = Join-Path -Path $module.Params.backup -ChildPath 'backup.json'
try {
    $manifest = Get-Content -LiteralPath $manifestPath -Raw -ErrorAction Stop | ConvertFrom-Json
}
catch {
    $module.FailJson("Cannot read the backup manifest '$manifestPath'; nothing was restored: $($_.Exception.Message)", $_)
}

# Everything is checked before anything is written: a copy that is missing stops the restore.
$files = @(foreach ($entry in @($manifest.files)) {
    if ($entry.copy -and -not (Test-Path -LiteralPath $entry.copy -PathType Leaf)) {
        $module.FailJson("The backup '$($module.Params.backup)' is incomplete: '$($entry.copy)' is missing; nothing was restored")
    }
    $entry
})

$toRestore = @($files | Where-Object { $_.copy -and (Get-Sha256 -Path $_.path) -ne (Get-Sha256 -Path $_.copy) })
$toRemove = @($files | Where-Object { -not $_.copy -and (Test-Path -LiteralPath $_.path) })
$values = @($manifest.registry)
$module.Result.restored = @($toRestore | ForEach-Object { $_.path })
$module.Result.removed = @($toRemove | ForEach-Object { $_.path })
$module.Result.registry = $values.Count
$module.Result.changed = ($toRestore.Count + $toRemove.Count + $values.Count) -gt 0
if ($module.CheckMode -or -not $module.Result.changed) {
    $module.ExitJson()
}

try {
    foreach ($entry in $toRestore) {
        $temporary = "$($entry.path).hardened-iis.tmp"
        Copy-Item -LiteralPath $entry.copy -Destination $temporary -Force
        Move-Item -LiteralPath $temporary -Destination $entry.path -Force
    }
    foreach ($entry in $toRemove) {
        Remove-Item -LiteralPath $entry.path -Force
    }
    foreach ($value in $values) {
        if ($value.existed) {
            Set-ItemProperty -LiteralPath $value.key -Name $value.name -Value $value.before
        }
        else {
            Remove-ItemProperty -LiteralPath $value.key -Name $value.name -ErrorAction SilentlyContinue
        }
    }
}
catch {
    $module.FailJson("Restoring from '$($module.Params.backup)' failed part way: $($_.Exception.Message)", $_)
}

$module.ExitJson()
