# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Updates the Microsoft Defender antivirus signatures (run by ansible.windows.win_powershell from the
# patches role). Changed means the signature version differs afterwards; in check mode nothing is
# updated and the versions are only read.
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'

$before = [string](Get-MpComputerStatus).AntivirusSignatureVersion
if ($PSCmdlet.ShouldProcess('Microsoft Defender antivirus signatures', 'Update-MpSignature')) {
    Update-MpSignature
}
$after = [string](Get-MpComputerStatus).AntivirusSignatureVersion

$Ansible.Changed = $before -ne $after
$Ansible.Result = @{
    signature_before = $before
    signature_after = $after
}
