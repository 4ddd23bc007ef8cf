#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Which of the given KBs the host has installed, from Get-HotFix and the online servicing packages
# (Get-WindowsPackage). Reads only, in check mode too. The patches role installs the others.

$spec = @{
    options = @{
        kbs = @{ type = 'list'; elements = 'str'; required = $true }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false

$found = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
try {
    foreach ($hotfix in Get-HotFix -ErrorAction Stop) {
        if ($hotfix.HotFixID) {
            $null = $found.Add([string]$hotfix.HotFixID)
        }
    }
}
catch {
    $module.FailJson("Cannot list the installed hotfixes: $($_.Exception.Message)", $_)
}
$sources = [System.Collections.Generic.List[String]]@('hotfix')
try {
    foreach ($package in Get-WindowsPackage -Online -ErrorAction Stop) {
        if ($package.PackageState -eq 'Installed' -and $package.PackageName -match '_KB(\d{6,8})~') {
            $null = $found.Add("KB$($Matches[1])")
        }
    }
    $sources.Add('packages')
}
catch {
    $module.Warn("Get-WindowsPackage failed, only Get-HotFix was read: $($_.Exception.Message)")
}

$module.Result.installed = @($module.Params.kbs | Where-Object { $found.Contains($_) })
$module.Result.sources = @($sources)
$module.ExitJson()
