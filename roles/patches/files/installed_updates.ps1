# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Which of the given KBs the host has installed, from Get-HotFix and the online DISM packages
# (run by ansible.windows.win_powershell from the patches role). Reads only, in check mode too.
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory = $true)]
    [string[]]
    $KBs
)

$ErrorActionPreference = 'Stop'

$found = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
foreach ($hotfix in Get-HotFix) {
    if ($hotfix.HotFixID) {
        $null = $found.Add([string]$hotfix.HotFixID)
    }
}
try {
    foreach ($package in Get-WindowsPackage -Online) {
        if ($package.PackageState -eq 'Installed' -and $package.PackageName -match '_KB(\d{6,8})~') {
            $null = $found.Add("KB$($Matches[1])")
        }
    }
}
catch {
    Write-Warning -Message "Get-WindowsPackage failed, only Get-HotFix was read: $($_.Exception.Message)"
}

$Ansible.Changed = $false
$Ansible.Result = @{
    installed = @($KBs | Where-Object { $found.Contains($_) })
}
