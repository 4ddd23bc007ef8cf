#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

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
$module.Result.restored = $false

Function Get-Sha256 {
    param([String]$Path)

    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return $null
    }
    return (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash.ToLowerInvariant()
}

Function ConvertTo-RegistryPath {
    param([String]$Path)

    return ($Path -replace '^HKLM\\', 'HKLM:\' -replace '^HKEY_LOCAL_MACHINE\\', 'HKLM:\')
}

$kinds = @{
    dword = 'DWord'
    qword = 'QWord'
    string = 'String'
    expandstring = 'ExpandString'
    multistring = 'MultiString'
}

# 1. Compare and swap: every file must be as the plan saw it.
foreach ($file in $module.Params.files) {
    $current = Get-Sha256 -Path $file.path
    if ($current -ne $file.before_sha256) {
        $module.FailJson("$($file.path) changed since the plan was made (SHA-256 $current, the plan expected $($file.before_sha256)); nothing was written")
    }
}

$pending = [System.Collections.Generic.List[Object]]@()
foreach ($value in $module.Params.registry) {
    $key = ConvertTo-RegistryPath -Path $value.path
    $existing = Get-ItemProperty -LiteralPath $key -Name $value.name -ErrorAction SilentlyContinue
    $before = if ($existing) { $existing.($value.name) } else { $null }
    $delete = $value.state -eq 'absent'
    if (($delete -and $null -ne $existing) -or (-not $delete -and ($null -eq $before -or "$before" -ne "$($value.value)"))) {
        $pending.Add(@{ key = $key; name = $value.name; type = $kinds[$value.type]; value = $value.value; delete = $delete; existed = ($null -ne $existing); before = $before })
    }
}

if ($module.Params.files.Count -eq 0 -and $pending.Count -eq 0) {
    $module.ExitJson()
}
$module.Result.changed = $true
if ($module.CheckMode) {
    $module.ExitJson()
}

# 2. Backup.
$stamp = [DateTime]::UtcNow.ToString('yyyyMMddTHHmmssfffZ')
$root = [Environment]::ExpandEnvironmentVariables($module.Params.backup_dir)
$backup = Join-Path -Path $root -ChildPath $stamp
$saved = [System.Collections.Generic.List[Object]]@()
try {
    New-Item -Path $backup -ItemType Directory -Force | Out-Null
    $index = 0
    foreach ($file in $module.Params.files) {
        $copy = $null
        if (Test-Path -LiteralPath $file.path -PathType Leaf) {
            $copy = Join-Path -Path $backup -ChildPath ("file{0}.bak" -f $index)
            Copy-Item -LiteralPath $file.path -Destination $copy -Force
        }
        $saved.Add(@{ path = $file.path; copy = $copy })
        $index++
    }
    $registryBackup = foreach ($value in $pending) {
        @{ key = $value.key; name = $value.name; existed = $value.existed; before = $value.before }
    }
    ConvertTo-Json -InputObject @{ files = $saved; registry = @($registryBackup) } -Depth 4 |
        Set-Content -LiteralPath (Join-Path -Path $backup -ChildPath 'backup.json') -Encoding UTF8
}
catch {
    $module.FailJson("Failed to back up to '$backup' before changing anything: $($_.Exception.Message)", $_)
}
$module.Result.backup = $backup

Function Restore-Backup {
    foreach ($entry in $saved) {
        if ($entry.copy) {
            Copy-Item -LiteralPath $entry.copy -Destination $entry.path -Force
        }
        elseif (Test-Path -LiteralPath $entry.path) {
            Remove-Item -LiteralPath $entry.path -Force
        }
    }
    foreach ($value in $pending) {
        if ($value.existed) {
            Set-ItemProperty -LiteralPath $value.key -Name $value.name -Value $value.before
        }
        else {
            Remove-ItemProperty -LiteralPath $value.key -Name $value.name -ErrorAction SilentlyContinue
        }
    }
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
        if ($value.delete) {
            Remove-ItemProperty -LiteralPath $value.key -Name $value.name -ErrorAction Stop
            continue
        }
        if (-not (Test-Path -LiteralPath $value.key)) {
            New-Item -Path $value.key -Force | Out-Null
        }
        New-ItemProperty -LiteralPath $value.key -Name $value.name -PropertyType $value.type -Value $value.value -Force | Out-Null
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
        $module.FailJson("Applying the plan failed ($($failure.Exception.Message)) and restoring backup '$backup' also failed: $($_.Exception.Message)", $_)
    }
    $module.FailJson("Applying the plan failed ($($failure.Exception.Message)); every file and registry value was restored from '$backup'", $failure)
}

# Retention: keep the newest backups.
$old = Get-ChildItem -LiteralPath $root -Directory | Sort-Object -Property Name -Descending | Select-Object -Skip $module.Params.backup_retention
foreach ($folder in $old) {
    Remove-Item -LiteralPath $folder.FullName -Recurse -Force -ErrorAction SilentlyContinue
}

$module.Result.files = @($module.Params.files | ForEach-Object { $_.path })
$module.Result.registry = $pending.Count
$module.ExitJson()
