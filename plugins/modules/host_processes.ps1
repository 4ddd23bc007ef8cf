#!powershell

# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Reads the host's running processes and listening ports in one call, changing nothing, for an
# evidence bundle (hardened.iis.collect_evidence). Command lines can hold secrets: the caller
# keeps the result out of the log (no_log).

$spec = @{
    options = @{}
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
try {
    $processes = foreach ($process in Get-CimInstance -ClassName Win32_Process -ErrorAction Stop) {
        @{
            pid = [int]$process.ProcessId
            parent_pid = [int]$process.ParentProcessId
            name = [string]$process.Name
            path = [string]$process.ExecutablePath
            command_line = [string]$process.CommandLine
            started = if ($process.CreationDate) { $process.CreationDate.ToUniversalTime().ToString('o') } else { $null }
        }
    }
}
catch {
    $module.FailJson("Cannot list the running processes: $($_.Exception.Message)", $_)
}
$tcp = foreach ($connection in Get-NetTCPConnection -State Listen -ErrorAction SilentlyContinue) {
    @{ protocol = 'tcp'; address = [string]$connection.LocalAddress; port = [int]$connection.LocalPort; pid = [int]$connection.OwningProcess }
}
$udp = foreach ($endpoint in Get-NetUDPEndpoint -ErrorAction SilentlyContinue) {
    @{ protocol = 'udp'; address = [string]$endpoint.LocalAddress; port = [int]$endpoint.LocalPort; pid = [int]$endpoint.OwningProcess }
}
$module.Result.collected_at = [DateTime]::UtcNow.ToString('o')
$module.Result.processes = @($processes)
$module.Result.listening_ports = @($tcp) + @($udp)
$module.ExitJson()
