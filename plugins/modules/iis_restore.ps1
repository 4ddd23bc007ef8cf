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

$spec = @{
    options = @{
        backup = @{ type = 'str'; required = $true }
        backup_dir = @{ type = 'path'; default = '%ProgramData%\hardened.iis\backups' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$module.Result.backup = $module.Params.backup
$module.Result.restored = @()
$module.Result.removed = @()
$module.Result.registry = 0

$root = [Environment]::ExpandEnvironmentVariables($module.Params.backup_dir)
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
$module.Result.changed = ($plan.restore.Count + $plan.remove.Count + $plan.registry.Count) -gt 0
if ($module.CheckMode -or -not $module.Result.changed) {
    $module.ExitJson()
}

try {
    Invoke-HardenedIisRestore -Plan $plan
}
catch {
    $module.FailJson("Restoring from '$folder' failed part way: $($_.Exception.Message)", $_)
}

$module.ExitJson()
