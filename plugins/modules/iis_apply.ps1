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

$spec = @{
    options = @{
        files = @{
            type = 'list'
            elements = 'dict'
            default = @()
            options = @{
                path = @{ type = 'str'; required = $true }
                before_sha256 = @{ type = 'str' }
                content = @{ type = 'str'; required = $true }
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


# 1. Compare and swap: every file must be as the plan saw it.
foreach ($file in $module.Params.files) {
    $current = Get-HardenedIisSha256 -Path $file.path
    if ($current -ne $file.before_sha256) {
        $module.FailJson("$($file.path) changed since the plan was made (SHA-256 $current, the plan expected $($file.before_sha256)); nothing was written")
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

# 2. Backup: every file and registry value the plan changes, with SHA-256 and type (_Backup.psm1).
$root = [Environment]::ExpandEnvironmentVariables($module.Params.backup_dir)
try {
    $backup = New-HardenedIisBackup -Root $root -Files @($module.Params.files | ForEach-Object { $_.path }) -Registry @($pending)
}
catch {
    $module.FailJson("Failed to back up to '$root' before changing anything: $($_.Exception.Message)", $_)
}
$module.Result.backup = $backup.id
$module.Result.backup_path = $backup.path

Function Restore-Backup {
    Invoke-HardenedIisRestore -Plan (Get-HardenedIisRestorePlan -Folder $backup.path -Manifest (Read-HardenedIisBackup -Folder $backup.path))
}

# 3. Write, 4. validate; 5. restore everything on any failure.
try {
    foreach ($file in $module.Params.files) {
        $bytes = [Convert]::FromBase64String($file.content)
        $folder = Split-Path -Path $file.path -Parent
        if (-not (Test-Path -LiteralPath $folder)) {
            New-Item -Path $folder -ItemType Directory -Force | Out-Null
        }
        $temporary = "$($file.path).hardened-iis.tmp"
        [System.IO.File]::WriteAllBytes($temporary, $bytes)
        Move-Item -LiteralPath $temporary -Destination $file.path -Force
    }
    foreach ($value in $pending) {
        Set-HardenedIisRegistryEntry -Entry $value
    }
    if ($module.Params.validate -and $module.Params.files.Count -gt 0) {
        $assembly = Join-Path -Path $env:windir -ChildPath 'System32\inetsrv\Microsoft.Web.Administration.dll'
        Add-Type -LiteralPath $assembly
        $manager = New-Object -TypeName Microsoft.Web.Administration.ServerManager
        foreach ($site in $manager.Sites) {
            foreach ($application in $site.Applications) {
                $configuration = $manager.GetWebConfiguration($site.Name, $application.Path)
                $null = $configuration.GetSection('system.webServer/handlers')
                $null = $configuration.GetSection('system.webServer/security/requestFiltering')
            }
        }
    }
}
catch {
    $failure = $_
    try {
        Restore-Backup
        $module.Result.restored = $true
    }
    catch {
        $module.FailJson("Applying the plan failed ($($failure.Exception.Message)) and restoring backup '$($backup.path)' also failed: $($_.Exception.Message)", $_)
    }
    $module.FailJson("Applying the plan failed ($($failure.Exception.Message)); every file and registry value was restored from '$($backup.path)'", $failure)
}

# Retention: keep the newest backups.
$old = Get-ChildItem -LiteralPath $root -Directory | Sort-Object -Property Name -Descending | Select-Object -Skip $module.Params.backup_retention
foreach ($folder in $old) {
    Remove-Item -LiteralPath $folder.FullName -Recurse -Force -ErrorAction SilentlyContinue
}

$module.Result.files = @($module.Params.files | ForEach-Object { $_.path })
$module.Result.registry = $pending.Count
$module.ExitJson()
