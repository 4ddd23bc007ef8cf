# The build: playbooks/build_image.yml through the ansible provisioner (minimal IIS, approved
# updates, hardening, integrity baseline, compliance gate), then sysprep as the last step.
#
# Nothing may cut the WinRM connection during the build: the playbook never touches the WinRM
# listeners, the management firewall rules or the account in use, and hardened.iis.harden refuses
# a plan that would (ManagementSafetyError in plugins/plugin_utils/_harden/plan.py). Restarts
# (updates, SCHANNEL values, role services) are made by Ansible, which waits for WinRM to answer
# again.

locals {
  collections_path = var.ansible_collections_path != "" ? var.ansible_collections_path : "${path.root}/../.build/collections"
}

build {
  name = "hardened-iis"

  sources = [
    "source.hyperv-iso.hyperv",
    "source.azure-arm.azure",
  ]

  # Packer's recommended way for Windows: no SSH proxy, Ansible connects to WinRM itself with the
  # communicator's user and password (added by the provisioner, masked in the output).
  provisioner "ansible" {
    command       = var.ansible_playbook_command
    playbook_file = "${path.root}/../playbooks/build_image.yml"
    use_proxy     = false
    user          = build.User
    host_alias    = "${var.image_name}-${source.name}"
    ansible_env_vars = [
      "ANSIBLE_COLLECTIONS_PATH=${local.collections_path}",
      "ANSIBLE_NOCOLOR=1",
    ]
    extra_arguments = [
      "--extra-vars", "ansible_connection=winrm ansible_shell_type=powershell ansible_port=5986 ansible_winrm_scheme=https ansible_winrm_transport=ntlm",
      "--extra-vars", "ansible_winrm_server_cert_validation=validate ansible_winrm_ca_trust_path='${var.winrm_ca_file}'",
      "--extra-vars", "build_image_name=${var.image_name} build_image_version=${var.image_version}",
      "--extra-vars", "@${var.build_vars_file}",
    ]
  }

  # Azure: the documented deprovisioning, and the last step of that build. Wait for the guest
  # agent, generalise without shutting down, and wait until Windows says the image is ready;
  # Packer then captures the machine. The Hyper-V build runs sysprep as its shutdown_command.
  provisioner "powershell" {
    only = ["azure-arm.azure"]
    inline = [
      "foreach ($service in Get-Service -Name RdAgent, WindowsAzureTelemetryService, WindowsAzureGuestAgent -ErrorAction SilentlyContinue) { while ((Get-Service $service.Name).Status -ne 'Running') { Start-Sleep -s 5 } }",
      "& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm",
      "while ($true) { $imageState = Get-ItemProperty HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State | Select-Object ImageState; if ($imageState.ImageState -ne 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE') { Write-Output $imageState.ImageState; Start-Sleep -s 10 } else { break } }",
    ]
  }

  # After the machine is generalised and captured: a record of what was built (no step on the machine).
  post-processor "manifest" {
    output     = "${path.root}/../.build/packer-manifest.json"
    strip_path = true
    custom_data = {
      image   = var.image_name
      version = var.image_version
      gate    = "playbooks/build_image.yml passed"
    }
  }
}
