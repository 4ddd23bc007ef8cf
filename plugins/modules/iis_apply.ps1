#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic
#AnsibleRequires -PowerShell ansible_collections.hardened.iis.plugins.module_utils._Backup

# Executes a change plan computed on the controller, in one call, and decides nothing:
# compare-and-swap on every file's SHA-256, a backup of every file and registry value it
# will change, the writes, validation through the IIS configuration API, and restore of
# everything it touched when any step fails.
#
# Crash consistency and one writer at a time (_Backup.psm1): the host's lock is held for the
# whole call; an apply that never finished (its intent record is still there) is restored first;
# this apply's intent record is written before its first change and removed once it is validated;
# every file is written through a temporary file flushed to disk and swapped in.

$spec = @{
    options = @{
        files = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                path = @{ type = 'str'; required = $true }
                before_sha256 = @{ type = 'str' }
                content = @{ type = 'str'; required = $true; no_log = $true }
            }
        }
        registry = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                path = @{ type = 'str'; required = $true }
                name = @{ type = 'str'; required = $true }
                type = @{ type = 'str'; default = 'dword'; choices = 'dword', 'qword', 'string', 'expandstring', 'multistring' }
                value = @{ type = 'raw' }
                state = @{ type = 'str'; default = 'present'; choices = 'present', 'absent' }
            }
            required_if = @(, @('state', 'present', @('value')))
        }
        backup_dir = @{ type = 'path'; default = '%ProgramData%\hardened.iis\backups' }
        backup_retention = @{ type = 'int'; default = 5 }
        validate = @{ type = 'bool'; default = $true }
        lock_timeout = @{ type = 'int'; default = 60 }
        lock_holder = @{ type = 'dict'; default = @{} }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$module.Result.backup = $null
$module.Result.backup_path = $null
$module.Result.restored = $false
$module.Result.files = @()
$module.Result.registry = 0
$module.Result.recovered_interrupted_apply = $null
$root = [Environment]::ExpandEnvironmentVariables($module.Params.backup_dir)
# 0. The host's lock (check mode writes nothing and takes none), then an apply that never finished.
$lock = Enter-HardenedIisModuleLock -Module $module -Root $root


# The lock is released when the call ends, however it ends (also in a PSRP runspace that outlives it).
try {
    if ($null -ne $lock) {
        try {
            $module.Result.recovered_interrupted_apply = Complete-HardenedIisInterruptedApply -Root $root
        }
        catch {
            $module.FailJson($_.Exception.Message, $_)
        }
    }

    # 1. Compare and swap: every file must be as the plan saw it.
    foreach ($file in $module.Params.files) {
        $current = Get-HardenedIisSha256 -Path $file.path
        if ($current -ne $file.before_sha256) {
            $waited = if ($null -ne $lock -and $null -ne $lock.waited_for) { "; this call first waited for another one that held the host: $($lock.waited_for)" } else { '' }
            $module.FailJson("$($file.path) changed since the plan was made (SHA-256 $current, the plan expected $($file.before_sha256)); nothing was written$waited")
        }
    }

    $pending = [System.Collections.Generic.List[Object]]@()
    foreach ($value in $module.Params.registry) {
        # Compared with its type: a value of the right data but the wrong type is changed too.
        $delete = $value.state -eq 'absent'
        $wanted = @{ path = $value.path; name = $value.name; existed = (-not $delete); type = $value.type; value = $value.value }
        if (-not (Test-HardenedIisRegistryEntry -Entry $wanted)) {
            $pending.Add(@{ path = $value.path; name = $value.name; existed = (-not $delete); type = $value.type; value = $value.value })
        }
    }

    if ($module.Params.files.Count -eq 0 -and $pending.Count -eq 0) {
        $module.ExitJson()
    }
    $module.Result.changed = $true
    if ($module.CheckMode) {
        $module.ExitJson()
    }

    Function Get-UnreadableApplication {
        # The applications whose configuration the IIS configuration API cannot load ('<site><path>' -> the reason).
        $manager = New-Object -TypeName Microsoft.Web.Administration.ServerManager
        $unreadable = @{}
        foreach ($site in $manager.Sites) {
            foreach ($application in $site.Applications) {
                try {
                    $configuration = $manager.GetWebConfiguration($site.Name, $application.Path)
                    $null = $configuration.GetSection('system.webServer/handlers')
                    $null = $configuration.GetSection('system.webServer/security/requestFiltering')
                }
                catch {
                    $unreadable["$($site.Name)$($application.Path)"] = $_.Exception.Message
                }
            }
        }
        $unreadable
    }

    # An application IIS could not load before the write (a web.config the plan left alone because
    # IIS cannot read it) is not held against the write; one that stops loading after it is.
    $validate = $module.Params.validate -and $module.Params.files.Count -gt 0
    if ($validate) {
        try {
            $assembly = Join-Path -Path $env:windir -ChildPath 'System32\inetsrv\Microsoft.Web.Administration.dll'
            Add-Type -LiteralPath $assembly
            $unreadableBefore = Get-UnreadableApplication
        }
        catch {
            $module.FailJson("Cannot load the IIS configuration to validate against before writing: $($_.Exception.Message); nothing was changed", $_)
        }
    }

    # 2. Backup: every file and registry value the plan changes, with SHA-256 and type (_Backup.psm1).
    # A backup that fails (a full disk) removes its folder and names the free space.
    try {
        $backup = New-HardenedIisBackup -Root $root -Files @($module.Params.files | ForEach-Object { $_.path }) -Registry @($pending)
    }
    catch {
        $module.FailJson($_.Exception.Message, $_)
    }
    $module.Result.backup = $backup.id
    $module.Result.backup_path = $backup.path

    # 3. Intent: this apply's backup and changes, on disk before the first change.
    try {
        Write-HardenedIisIntent -Root $root -Intent (New-HardenedIisIntent -Backup $backup.id -Holder $lock.holder -Files @($module.Params.files) -Registry @($pending))
    }
    catch {
        $failure = $_.Exception.Message
        Remove-Item -LiteralPath $backup.path -Recurse -Force -ErrorAction SilentlyContinue
        $module.Result.backup = $null
        $module.Result.backup_path = $null
        $module.FailJson("Writing the intent record into '$root' failed ($failure; $(Get-HardenedIisFreeSpace -Folder $root)); the backup was removed and nothing was changed", $_)
    }

    Function Restore-Backup {
        Invoke-HardenedIisRestore -Plan (Get-HardenedIisRestorePlan -Folder $backup.path -Manifest (Read-HardenedIisBackup -Folder $backup.path))
    }

    # 4. Write (each file old or new after any crash), 5. validate; 6. restore everything on any failure.
    try {
        foreach ($file in $module.Params.files) {
            Write-HardenedIisFile -Path $file.path -Bytes ([Convert]::FromBase64String($file.content))
        }
        foreach ($value in $pending) {
            Set-HardenedIisRegistryEntry -Entry $value
        }
        if ($validate) {
            $unreadableAfter = Get-UnreadableApplication
            foreach ($name in $unreadableAfter.Keys) {
                if (-not $unreadableBefore.ContainsKey($name)) {
                    throw "the configuration of $name can no longer be loaded: $($unreadableAfter[$name])"
                }
            }
        }
        Remove-HardenedIisIntent -Root $root
    }
    catch {
        $failure = $_
        try {
            Restore-Backup
            Remove-HardenedIisIntent -Root $root
            $module.Result.restored = $true
        }
        catch {
            $module.FailJson(
                "Applying the plan failed ($($failure.Exception.Message)) and restoring backup '$($backup.path)' also failed: $($_.Exception.Message); " +
                "the intent record stays under '$root', so the next apply or restore on this host restores that backup before anything else", $_)
        }
        $module.FailJson("Applying the plan failed ($($failure.Exception.Message)); every file and registry value was restored from '$($backup.path)'", $failure)
    }

    # Retention: keep the newest complete backups.
    Remove-HardenedIisOldBackup -Root $root -Keep $module.Params.backup_retention

    $module.Result.files = @($module.Params.files | ForEach-Object { $_.path })
    $module.Result.registry = $pending.Count
    $module.ExitJson()
}
finally {
    Exit-HardenedIisLock -Lock $lock
}
