# Variables of the hardened IIS golden image (packer/README.md). Secrets have no default and are
# marked sensitive, so Packer masks them in its output; pass them from the secret store as
# PKR_VAR_<name> environment variables, never in a file. Example values without secrets:
# variables.pkrvars.hcl.example.

# ---------------------------------------------------------------------------------------------
# The image and the Ansible run
# ---------------------------------------------------------------------------------------------

variable "image_name" {
  type        = string
  description = "Name of the image; also the Ansible host alias, so the image's signed file-integrity baseline is stored under <image_name>-<source>."
  default     = "hardened-iis"
}

variable "image_version" {
  type        = string
  description = "Version of the image (for example 2026.11.1); recorded in the image's name, its tags and its integrity baseline."
}

variable "build_vars_file" {
  type        = string
  description = "YAML file of Ansible variables for playbooks/build_image.yml (build_image_*, integrity_*, hardened_iis_*); may be encrypted with ansible-vault (set ANSIBLE_VAULT_PASSWORD_FILE)."
}

variable "winrm_ca_file" {
  type        = string
  description = "PEM file of the CA that issued the build machine's WinRM listener certificate; Ansible validates the certificate against it (no spaces in the path). Packer validates against the build agent's system store, which must trust the same CA."
}

variable "ansible_playbook_command" {
  type        = string
  description = "The ansible-playbook to run (the project's virtualenv, with pywinrm and the collections of requirements.txt)."
  default     = "ansible-playbook"
}

variable "ansible_collections_path" {
  type        = string
  description = "ANSIBLE_COLLECTIONS_PATH for the Ansible run: where hardened.iis, ansible.windows and their dependencies are installed; empty means the checkout's .build/collections (make link)."
  default     = ""
}

variable "winrm_timeout" {
  type        = string
  description = "How long Packer waits for the build machine's WinRM listener after boot."
  default     = "2h"
}

# ---------------------------------------------------------------------------------------------
# Hyper-V (hyperv-iso): a local hypervisor build from the Windows Server ISO
# ---------------------------------------------------------------------------------------------

variable "hyperv_iso_url" {
  type        = string
  description = "Path or URL of the Windows Server ISO."
}

variable "hyperv_iso_checksum" {
  type        = string
  description = "Checksum of the ISO, as sha256:<hex>."
}

variable "hyperv_cd_files" {
  type        = list(string)
  description = "The organisation's answer files put on the build machine's second CD beside scripts/Enable-WinRMHttps.ps1: Autounattend.xml (which installs Windows, sets the build account's password from the same secret as hyperv_winrm_password and runs Enable-WinRMHttps.ps1 at first logon) and whatever puts the listener certificate in LocalMachine\\My."
  default     = []
}

variable "hyperv_switch_name" {
  type        = string
  description = "The Hyper-V virtual switch; the build agent must reach the build machine through it."
  default     = "Default Switch"
}

variable "hyperv_winrm_host" {
  type        = string
  description = "DNS name of the build machine, as in its WinRM certificate; Packer and Ansible connect to this name so the certificate's name can be validated."
}

variable "hyperv_winrm_username" {
  type        = string
  description = "The local administrator account the answer file creates for the build."
  default     = "Administrator"
}

variable "hyperv_winrm_password" {
  type        = string
  description = "Password of the build account (PKR_VAR_hyperv_winrm_password from the secret store)."
  sensitive   = true
}

variable "hyperv_cpus" {
  type        = number
  description = "Virtual processors of the build machine."
  default     = 2
}

variable "hyperv_memory" {
  type        = number
  description = "Memory of the build machine in MB."
  default     = 4096
}

variable "hyperv_disk_size" {
  type        = number
  description = "Size of the system disk in MB."
  default     = 61440
}

variable "hyperv_output_directory" {
  type        = string
  description = "Where the generalised VM (VHDX and configuration) is exported."
  default     = "output-hyperv"
}

# ---------------------------------------------------------------------------------------------
# Azure (azure-arm): a cloud build from the Windows Server marketplace image
# ---------------------------------------------------------------------------------------------

variable "azure_use_cli_auth" {
  type        = bool
  description = "Authenticate with the Azure CLI's login; false uses the build agent's managed identity. No long-lived client secret is used."
  default     = false
}

variable "azure_subscription_id" {
  type        = string
  description = "The subscription the build runs in."
}

variable "azure_build_resource_group" {
  type        = string
  description = "Existing resource group the build machine is created in (and removed from after the build)."
}

variable "azure_image_resource_group" {
  type        = string
  description = "Existing resource group the managed image is stored in."
}

variable "azure_image_sku" {
  type        = string
  description = "SKU of the MicrosoftWindowsServer/WindowsServer marketplace image."
  default     = "2022-datacenter-g2"
}

variable "azure_image_version" {
  type        = string
  description = "Version of the marketplace image; pin it so a rebuild starts from the same image."
  default     = "latest"
}

variable "azure_vm_size" {
  type        = string
  description = "Size of the build machine."
  default     = "Standard_D2s_v5"
}

variable "azure_virtual_network" {
  type        = string
  description = "Existing virtual network of the build machine; it gets no public IP address, so the build agent must be on this network or one peered with it."
}

variable "azure_virtual_network_subnet" {
  type        = string
  description = "Subnet of the build machine."
}

variable "azure_virtual_network_resource_group" {
  type        = string
  description = "Resource group of the virtual network."
}

variable "azure_build_vm_name" {
  type        = string
  description = "Computer name of the build machine; with azure_winrm_dns_suffix, the name in its WinRM certificate."
  default     = "iisgolden01"
}

variable "azure_winrm_dns_suffix" {
  type        = string
  description = "DNS suffix under which the build agent resolves the build machine (a private DNS zone with auto-registration), for example build.example.org."
}

variable "azure_winrm_identity_id" {
  type        = string
  description = "Resource ID of the user-assigned managed identity given to the build machine; it may read the WinRM certificate from Key Vault and nothing else."
}

variable "azure_winrm_identity_client_id" {
  type        = string
  description = "Client ID of that managed identity (the machine asks the instance metadata service for a token as this identity)."
}

variable "azure_winrm_certificate_id" {
  type        = string
  description = "Key Vault identifier of the WinRM certificate (https://<vault>.vault.azure.net/secrets/<name>), issued by the organisation's CA for <azure_build_vm_name>.<azure_winrm_dns_suffix>, short-lived."
}

variable "azure_winrm_allowed_from" {
  type        = string
  description = "Addresses allowed to reach TCP 5986 on the build machine (Windows Firewall RemoteAddress): the build agent's address or subnet."
}

variable "azure_winrm_username" {
  type        = string
  description = "The build machine's administrator; Packer generates its password for each build."
  default     = "packer"
}
