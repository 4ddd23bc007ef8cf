#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Reads the Windows Firewall profiles' settings (enabled, default inbound and outbound action),
# changing nothing: hardened.iis.isolate_host records them before it isolates a host, to put
# them back when the isolation is lifted.

$spec = @{
    options = @{}
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
try {
    $module.Result.profiles = @(Get-NetFirewallProfile -ErrorAction Stop | ForEach-Object {
            @{
                name = [string]$_.Name
                enabled = [string]$_.Enabled
                inbound = [string]$_.DefaultInboundAction
                outbound = [string]$_.DefaultOutboundAction
            }
        })
}
catch {
    $module.FailJson("Cannot read the Windows Firewall profiles: $($_.Exception.Message)", $_)
}
$module.ExitJson()
