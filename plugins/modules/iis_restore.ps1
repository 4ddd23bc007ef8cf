#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.hardened.iis.plugins.module_utils._Backup

# Puts a host back as it was before one hardened.iis.iis_apply call, from that call's backup
# (backup.json, format 2: every file with its SHA-256 and copy, or none when the apply created
# it; every registry value with whether it existed, its type and its data). Compares first and
# writes only what differs, so a second run changes nothing. Decides nothing else.
#
# It holds the host's lock for the whole call (the one iis_apply takes, _Backup.psm1), and first
# completes an apply that never finished (its intent record is still there). With interrupted_only
# that is all it does, and only while the record still names the backup given.

$spec = @{
    options = @{
        backup = @{ type = 'str'; required = $true }
        backup_dir = @{ type = 'path'; default = '%ProgramData%\hardened.iis\backups' }
        interrupted_only = @{ type = 'bool'; default = $false }
        lock_timeout = @{ type = 'int'; default = 60 }
        lock_holder = @{ type = 'dict'; default = @{} }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$module.Result.backup = $module.Params.backup
$module.Result.restored = @()
$module.Result.removed = @()
$module.Result.registry = 0
$module.Result.recovered_interrupted_apply = $null

$root = [Environment]::ExpandEnvironmentVariables($module.Params.backup_dir)

# Check mode with interrupted_only: whether the record is still there; nothing is written and no lock is taken.
if ($module.Params.interrupted_only -and $module.CheckMode) {
    $intent = Read-HardenedIisIntent -Root $root
    $module.Result.changed = ($null -ne $intent -and $intent.backup -eq $module.Params.backup)
    $module.ExitJson()
}

$lock = Enter-HardenedIisModuleLock -Module $module -Root $root

# The lock is released when the call ends, however it ends (also in a PSRP runspace that outlives it).
try {
    if ($null -ne $lock) {
        try {
            $only = if ($module.Params.interrupted_only) { $module.Params.backup } else { $null }
            $module.Result.recovered_interrupted_apply = Complete-HardenedIisInterruptedApply -Root $root -Backup $only
        }
        catch {
            $module.FailJson($_.Exception.Message, $_)
        }
        if ($null -ne $module.Result.recovered_interrupted_apply) {
            $module.Result.changed = $true
        }
        if ($module.Params.interrupted_only) {
            $module.ExitJson()
        }
    }

    $folder = Resolve-HardenedIisBackupFolder -Backup $module.Params.backup -Root $root

    # Everything is checked before anything is written: an unreadable manifest or a missing copy stops the restore.
    try {
        $manifest = Read-HardenedIisBackup -Folder $folder
    }
    catch {
        $module.FailJson("Cannot use the backup '$folder'; nothing was restored: $($_.Exception.Message)", $_)
    }

    $plan = Get-HardenedIisRestorePlan -Folder $folder -Manifest $manifest
    $module.Result.restored = @($plan.restore | ForEach-Object { $_.path })
    $module.Result.removed = @($plan.remove)
    $module.Result.registry = $plan.registry.Count
    $differs = ($plan.restore.Count + $plan.remove.Count + $plan.registry.Count) -gt 0
    $module.Result.changed = $module.Result.changed -or $differs
    if ($module.CheckMode -or -not $differs) {
        $module.ExitJson()
    }

    try {
        Invoke-HardenedIisRestore -Plan $plan
    }
    catch {
        $module.FailJson("Restoring from '$folder' failed part way: $($_.Exception.Message)", $_)
    }

    $module.ExitJson()
}
finally {
    Exit-HardenedIisLock -Lock $lock
}
