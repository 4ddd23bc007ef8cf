<#
.SYNOPSIS
    Creates the WinRM HTTPS listener a golden-image build connects through, with a certificate
    the build agent can validate.

.DESCRIPTION
    Runs once on the build machine before Packer connects: at first logon from the answer file
    (Hyper-V), or as the Custom Script Extension (Azure). The certificate is either

    * already in LocalMachine\My (put there by the organisation: autoenrolment, or an answer file
      that imports it): valid now, issued by a CA (not self-signed), for -DnsName, with the Server
      Authentication usage and a private key; or
    * read from Azure Key Vault (-KeyVaultCertificateId) with the machine's managed identity,
      through the instance metadata service, and imported with a non-exportable private key.

    The chain is checked on the machine (Test-Certificate -Policy SSL -DNSName). Then an HTTPS
    listener on 5986 is bound to the certificate and Windows Firewall opens TCP 5986 to
    -AllowFrom only. Basic authentication and unencrypted traffic stay off (NTLM over HTTPS).
    The existing listeners are not touched.

    The build access is not meant to stay in the image: SetupComplete.cmd removes the listener,
    its firewall rule and the certificate at the first boot of every machine made from the image
    (Windows runs it once, at the end of setup). Use a short-lived certificate for the build host
    name only: it stays in the generalised image until that first boot.

.EXAMPLE
    powershell -ExecutionPolicy Bypass -File D:\Enable-WinRMHttps.ps1 -DnsName iisgolden01.build.example.org -AllowFrom 10.20.0.15
#>
[CmdletBinding()]
param(
    # The machine's DNS name, as in the certificate; Packer and Ansible connect to this name.
    [Parameter(Mandatory = $true)]
    [string] $DnsName,

    # Addresses allowed to reach TCP 5986 (Windows Firewall RemoteAddress), comma-separated.
    [Parameter(Mandatory = $true)]
    [string] $AllowFrom,

    # Key Vault identifier of the certificate's secret (Azure); empty: the certificate is in LocalMachine\My.
    [string] $KeyVaultCertificateId = '',

    # Client ID of the user-assigned managed identity that may read the certificate.
    [string] $ManagedIdentityClientId = ''
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$ServerAuthentication = '1.3.6.1.5.5.7.3.1'
$FirewallRuleName = 'hardened-iis-build-winrm-https'

function Import-KeyVaultCertificate {
    param([string] $SecretId, [string] $ClientId)
    $tokenUri = 'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'
    if ($ClientId) {
        $tokenUri = "$tokenUri&client_id=$ClientId"
    }
    $token = Invoke-RestMethod -Headers @{ Metadata = 'true' } -Method Get -Uri $tokenUri
    $secret = Invoke-RestMethod -Headers @{ Authorization = "Bearer $($token.access_token)" } -Method Get -Uri "$($SecretId)?api-version=7.4"
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'MachineKeySet, PersistKeySet'
    $collection = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2Collection
    $collection.Import([Convert]::FromBase64String($secret.value), $null, $flags)
    $imported = $null
    foreach ($certificate in $collection) {
        $storeName = if ($certificate.HasPrivateKey) { 'My' } else { 'CA' }
        $store = New-Object System.Security.Cryptography.X509Certificates.X509Store($storeName, 'LocalMachine')
        $store.Open('ReadWrite')
        try {
            $store.Add($certificate)
        }
        finally {
            $store.Close()
        }
        if ($certificate.HasPrivateKey) {
            $imported = $certificate
        }
    }
    if (-not $imported) {
        throw "Key Vault secret $SecretId holds no certificate with a private key"
    }
    return $imported.Thumbprint
}

function Find-ListenerCertificate {
    param([string] $Name)
    $now = Get-Date
    $found = Get-ChildItem -Path Cert:\LocalMachine\My | Where-Object {
        $_.HasPrivateKey -and
        $_.NotBefore -le $now -and $_.NotAfter -gt $now -and
        $_.Subject -ne $_.Issuer -and
        ($_.DnsNameList | ForEach-Object { $_.Unicode }) -contains $Name -and
        ($_.EnhancedKeyUsageList | ForEach-Object { $_.ObjectId }) -contains $ServerAuthentication
    } | Sort-Object -Property NotAfter -Descending | Select-Object -First 1
    if (-not $found) {
        throw "no valid CA-issued certificate for $Name with Server Authentication and a private key in LocalMachine\My"
    }
    return $found
}

if ($KeyVaultCertificateId) {
    $thumbprint = Import-KeyVaultCertificate -SecretId $KeyVaultCertificateId -ClientId $ManagedIdentityClientId
    $certificate = Get-Item -Path "Cert:\LocalMachine\My\$thumbprint"
}
else {
    $certificate = Find-ListenerCertificate -Name $DnsName
}

# The chain must end at a root this machine trusts, and the name must match.
$null = Test-Certificate -Cert $certificate -Policy SSL -DNSName $DnsName -ErrorAction Stop

Set-Service -Name WinRM -StartupType Automatic
Start-Service -Name WinRM

Get-ChildItem -Path WSMan:\localhost\Listener |
    Where-Object { $_.Keys -contains 'Transport=HTTPS' } |
    Remove-Item -Recurse -Force
$null = New-Item -Path WSMan:\localhost\Listener -Transport HTTPS -Address * -HostName $DnsName -CertificateThumbPrint $certificate.Thumbprint -Force
Set-Item -Path WSMan:\localhost\Service\Auth\Basic -Value $false
Set-Item -Path WSMan:\localhost\Service\AllowUnencrypted -Value $false

Get-NetFirewallRule -Name $FirewallRuleName -ErrorAction SilentlyContinue | Remove-NetFirewallRule
$remote = $AllowFrom.Split(',') | ForEach-Object { $_.Trim() } | Where-Object { $_ }
$null = New-NetFirewallRule -Name $FirewallRuleName -DisplayName 'Golden image build: WinRM over HTTPS' -Direction Inbound -Protocol TCP -LocalPort 5986 -RemoteAddress $remote -Action Allow -Profile Any

# At the first boot of every machine made from the image: remove the build's listener, firewall
# rule and certificate. Appended, so an organisation's SetupComplete.cmd keeps working.
$cleanup = @(
    "Get-ChildItem -Path WSMan:\localhost\Listener | Where-Object { `$_.Keys -contains 'Transport=HTTPS' -and (Get-ChildItem -Path `$_.PSPath | Where-Object Name -eq 'CertificateThumbprint').Value -eq '$($certificate.Thumbprint)' } | Remove-Item -Recurse -Force",
    "Get-NetFirewallRule -Name '$FirewallRuleName' -ErrorAction SilentlyContinue | Remove-NetFirewallRule",
    "Remove-Item -Path 'Cert:\LocalMachine\My\$($certificate.Thumbprint)' -DeleteKey -ErrorAction SilentlyContinue"
) -join '; '
$encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($cleanup))
$scripts = Join-Path -Path $env:SystemRoot -ChildPath 'Setup\Scripts'
$null = New-Item -Path $scripts -ItemType Directory -Force
Add-Content -Path (Join-Path -Path $scripts -ChildPath 'SetupComplete.cmd') -Encoding ASCII -Value @(
    'REM hardened.iis golden image build: remove the build''s WinRM listener, firewall rule and certificate',
    "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand $encoded"
)

Write-Output "WinRM HTTPS listener for $DnsName on 5986 with certificate $($certificate.Thumbprint), reachable from $($remote -join ', ')"
