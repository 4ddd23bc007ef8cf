# The plugins the template needs, installed by `packer init packer/` (Packer 1.7 or later).
#
# This block lives in a file of its own on purpose: Packer before 1.7 (Debian's packer 1.6.6,
# which CI uses to check the template's syntax) does not know `required_plugins`, and checks the
# other files of this directory without this one (tests/unit/packer/test_packer_template.py).
packer {
  required_version = ">= 1.10.0"

  required_plugins {
    # The ansible provisioner: use_proxy = false connects Ansible straight to WinRM.
    ansible = {
      source  = "github.com/hashicorp/ansible"
      version = ">= 1.1.1"
    }
    # azure-arm: skip_create_build_key_vault, custom_script and user_data_file, so the build
    # machine's WinRM listener carries a certificate the build agent can validate.
    azure = {
      source  = "github.com/hashicorp/azure"
      version = ">= 2.1.0"
    }
    # hyperv-iso: Generation 2, Secure Boot, cd_files.
    hyperv = {
      source  = "github.com/hashicorp/hyperv"
      version = ">= 1.1.3"
    }
  }
}
