# The build machines: one on a local hypervisor (Hyper-V) and one in the cloud (Azure). Both are
# reached over WinRM on HTTPS (5986) with a certificate issued by the organisation's CA for the
# machine's DNS name, validated by Packer (winrm_insecure = false: the build agent's system store
# must trust the CA) and by Ansible (ansible_winrm_server_cert_validation=validate against
# var.winrm_ca_file). scripts/Enable-WinRMHttps.ps1 creates that listener before Packer connects.

locals {
  azure_winrm_host = "${var.azure_build_vm_name}.${var.azure_winrm_dns_suffix}"

  # Runs as the Custom Script Extension before Packer connects: reads this build's user data
  # (scripts/Enable-WinRMHttps.ps1) from the instance metadata service, runs it with this build's
  # values, then deletes it. Nothing secret is in the user data: the certificate comes from Key
  # Vault through the machine's managed identity.
  azure_custom_script = join("", [
    "powershell -ExecutionPolicy Bypass -NoProfile -NonInteractive -Command \"",
    "$userData = Invoke-RestMethod -Headers @{Metadata=$true} -Method GET -Uri http://169.254.169.254/metadata/instance/compute/userData?api-version=2021-01-01$([char]38)format=text; ",
    "$script = [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($userData)); ",
    "Set-Content -Path C:\\Windows\\Temp\\Enable-WinRMHttps.ps1 -Value $script -Encoding UTF8; ",
    "& C:\\Windows\\Temp\\Enable-WinRMHttps.ps1 -DnsName '${local.azure_winrm_host}' -AllowFrom '${var.azure_winrm_allowed_from}' ",
    "-KeyVaultCertificateId '${var.azure_winrm_certificate_id}' -ManagedIdentityClientId '${var.azure_winrm_identity_client_id}'; ",
    "Remove-Item -Path C:\\Windows\\Temp\\Enable-WinRMHttps.ps1 -Force",
    "\"",
  ])

  image_tags = {
    image      = var.image_name
    version    = var.image_version
    built_with = "hardened.iis build_image"
  }
}

source "hyperv-iso" "hyperv" {
  vm_name              = "${var.image_name}-${var.image_version}"
  iso_url              = var.hyperv_iso_url
  iso_checksum         = var.hyperv_iso_checksum
  generation           = 2
  enable_secure_boot   = true
  secure_boot_template = "MicrosoftWindows"
  cpus                 = var.hyperv_cpus
  memory               = var.hyperv_memory
  disk_size            = var.hyperv_disk_size
  switch_name          = var.hyperv_switch_name
  output_directory     = var.hyperv_output_directory

  # Generation 2 machines have no floppy: the answer file and the WinRM script come on a CD.
  cd_files     = concat(["${path.root}/scripts/Enable-WinRMHttps.ps1"], var.hyperv_cd_files)
  cd_label     = "BUILD"
  boot_wait    = "1s"
  boot_command = ["a<wait>a<wait>a"]

  communicator   = "winrm"
  winrm_host     = var.hyperv_winrm_host
  winrm_port     = 5986
  winrm_use_ssl  = true
  winrm_insecure = false
  winrm_use_ntlm = true
  winrm_username = var.hyperv_winrm_username
  winrm_password = var.hyperv_winrm_password
  winrm_timeout  = var.winrm_timeout

  # The last step: generalise and shut down. Packer runs it after every provisioner, and exports
  # the machine once it is off.
  shutdown_command = "C:\\Windows\\System32\\Sysprep\\sysprep.exe /generalize /oobe /shutdown /quiet /mode:vm"
  shutdown_timeout = "1h"
}

source "azure-arm" "azure" {
  use_azure_cli_auth = var.azure_use_cli_auth
  subscription_id    = var.azure_subscription_id

  os_type         = "Windows"
  image_publisher = "MicrosoftWindowsServer"
  image_offer     = "WindowsServer"
  image_sku       = var.azure_image_sku
  image_version   = var.azure_image_version
  vm_size         = var.azure_vm_size

  build_resource_group_name         = var.azure_build_resource_group
  managed_image_name                = "${var.image_name}-${var.image_version}"
  managed_image_resource_group_name = var.azure_image_resource_group
  azure_tags                        = local.image_tags

  # A private network only: no public IP address, the build agent reaches the machine by name.
  virtual_network_name                   = var.azure_virtual_network
  virtual_network_subnet_name            = var.azure_virtual_network_subnet
  virtual_network_resource_group_name    = var.azure_virtual_network_resource_group
  private_virtual_network_with_public_ip = false
  temp_compute_name                      = var.azure_build_vm_name

  # Not Packer's self-signed Key Vault certificate, which no CA vouches for: the machine's own
  # listener with the organisation's certificate (scripts/Enable-WinRMHttps.ps1).
  skip_create_build_key_vault      = true
  user_assigned_managed_identities = [var.azure_winrm_identity_id]
  user_data_file                   = "${path.root}/scripts/Enable-WinRMHttps.ps1"
  custom_script                    = local.azure_custom_script

  communicator   = "winrm"
  winrm_host     = local.azure_winrm_host
  winrm_port     = 5986
  winrm_use_ssl  = true
  winrm_insecure = false
  winrm_use_ntlm = true
  winrm_username = var.azure_winrm_username
  winrm_timeout  = var.winrm_timeout
}
