#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Updates the Microsoft Defender antivirus signatures. Changed means the signature version
# differs afterwards; in check mode nothing is updated and the version is only read.

$spec = @{
    options = @{}
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
try {
    $before = [string](Get-MpComputerStatus -ErrorAction Stop).AntivirusSignatureVersion
}
catch {
    $module.FailJson("Cannot read Microsoft Defender's status (is Defender installed?): $($_.Exception.Message)", $_)
}
$module.Result.signature_before = $before
$module.Result.signature_after = $before
if (-not $module.CheckMode) {
    try {
        Update-MpSignature -ErrorAction Stop
        $module.Result.signature_after = [string](Get-MpComputerStatus -ErrorAction Stop).AntivirusSignatureVersion
    }
    catch {
        $module.FailJson("Updating the Defender signatures failed: $($_.Exception.Message)", $_)
    }
}
$module.Result.changed = $module.Result.signature_after -ne $before
$module.ExitJson()
