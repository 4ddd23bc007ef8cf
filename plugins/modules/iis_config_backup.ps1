#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# IIS's own configuration backup (appcmd add backup / restore backup), named: the rollout takes one
# before it changes a host and restores it when the host fails its checks.

$spec = @{
    options = @{
        name = @{ type = 'str'; required = $true }
        state = @{ type = 'str'; default = 'present'; choices = 'present', 'restored' }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$name = $module.Params.name
if ($name -notmatch '^[A-Za-z0-9._-]+$') {
    $module.FailJson("name '$name' may hold only letters, digits, '.', '_' and '-'")
}
$inetsrv = Join-Path -Path $env:windir -ChildPath 'System32\inetsrv'
$appcmd = Join-Path -Path $inetsrv -ChildPath 'appcmd.exe'
$folder = Join-Path -Path $inetsrv -ChildPath "backup\$name"
$module.Result.name = $name
$module.Result.path = $folder

Function Invoke-Appcmd {
    param([String[]]$Arguments)

    $output = & $appcmd @Arguments 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0) {
        $module.FailJson("appcmd $($Arguments -join ' ') failed ($LASTEXITCODE): $output")
    }
}

if ($module.Params.state -eq 'present') {
    if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
        $module.Result.changed = $true
        if (-not $module.CheckMode) {
            Invoke-Appcmd -Arguments @('add', 'backup', $name)
        }
    }
    $module.ExitJson()
}

if (-not (Test-Path -LiteralPath $folder -PathType Container)) {
    $module.FailJson("There is no IIS configuration backup '$name' ($folder); nothing was restored")
}
$current = Join-Path -Path $inetsrv -ChildPath 'config\applicationHost.config'
$saved = Join-Path -Path $folder -ChildPath 'applicationHost.config'
if ((Get-FileHash -LiteralPath $current -Algorithm SHA256).Hash -ne (Get-FileHash -LiteralPath $saved -Algorithm SHA256).Hash) {
    $module.Result.changed = $true
    if (-not $module.CheckMode) {
        Invoke-Appcmd -Arguments @('restore', 'backup', $name)
    }
}
$module.ExitJson()
