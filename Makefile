# hardened.iis — the two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv when it is missing, install only pinned packages from PyPI and
# can be run again safely.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# The collection must sit at ansible_collections/hardened/iis to be importable.
COLLECTIONS := $(CURDIR)/.build/collections
LINK := $(COLLECTIONS)/ansible_collections/hardened/iis
# ansible-test refuses symlinked trees, so sanity runs on a copy of the tracked files.
# It must also lie outside this git work tree, whose .gitignore would hide every file.
SANITY_ROOT := $(or $(TMPDIR),/tmp)/hardened-iis-sanity/ansible_collections/hardened/iis
# validate-modules needs pwsh to read a PowerShell module's argument spec and there is
# none here: it runs on every other target, and tools/check_powershell.py checks these.
PS_MODULE_EXCLUDES := $(foreach module,$(wildcard plugins/modules/*.ps1),--exclude $(module))
CORPUS_DEFAULT := $(abspath $(CURDIR)/../shared/corpus)
export HARDENED_IIS_CORPUS ?= $(if $(wildcard $(CORPUS_DEFAULT)),$(CORPUS_DEFAULT),)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH := true
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)

.PHONY: help venv link build-deps system-deps demo test lint ruff mypy yamllint ansible-lint changelog-lint sanity unit molecule benchmark clean

help:
	@echo "make demo   - audit the lab hosts (a scratch copy) and show scores, worst failures and evidence"
	@echo "make test   - every check CI runs (lint, types, sanity, unit tests, Molecule)"
	@echo "make benchmark - measure the configuration engine and hardening (see docs/performance.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs the Debian packages named in $(1) that are missing, with apt when running as root;
# otherwise prints the command to run.
define install_missing_debian_packages
	@missing=$$(for package in $(1); do dpkg -s $$package >/dev/null 2>&1 || echo $$package; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "missing Debian packages: $$missing (apt-get install $$missing)"; fi
endef

# Debian packages some pinned Python packages build against: Kerberos headers and krb5-config for
# pykerberos, gssapi and krb5 (the WinRM and PSRP Kerberos transports). Installed when missing and
# running as root; otherwise the command to run is printed and the install below fails naming them.
BUILD_PACKAGES := libkrb5-dev
build-deps:
	$(call install_missing_debian_packages,$(BUILD_PACKAGES))

$(VENV)/.installed: requirements.txt constraints.txt | $(BIN)/python build-deps
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed

link: venv
	@mkdir -p $(dir $(LINK))
	@ln -sfn $(CURDIR) $(LINK)

# Debian packages some tests drive (packer validates the golden image template; headless
# Chromium and its driver open the fleet dashboard). Installed
# when missing and running as root (CI and the development machines are root); otherwise the
# command to run is printed, and those tests fail under CI (CI=true) and skip elsewhere.
SYSTEM_PACKAGES := packer chromium chromium-driver
system-deps:
	$(call install_missing_debian_packages,$(SYSTEM_PACKAGES))

DEMO := $(CURDIR)/.build/demo
demo: link
	@rm -rf $(DEMO) && mkdir -p $(DEMO) && cp -r inventories/lab $(DEMO)/lab
	ansible-playbook -i $(DEMO)/lab/hosts.yml playbooks/demo.yml -e hardened_iis_report_dir=$(DEMO)/reports
	@if [ -n "$${HARDENED_IIS_CORPUS:-}" ] && [ -d "$$HARDENED_IIS_CORPUS/cvrf" ]; then \
		ansible-playbook -i $(DEMO)/lab/hosts.yml playbooks/patch_compliance.yml -e hardened_iis_report_dir=$(DEMO)/reports \
			-e hardened_iis_cvrf_dir=$$HARDENED_IIS_CORPUS/cvrf -e hardened_iis_cvrf_cache_dir=$(CURDIR)/.build/cvrf-cache; \
	else echo "patch compliance: skipped, no MSRC documents (set HARDENED_IIS_CORPUS to a corpus with cvrf/, or run playbooks/patch_compliance.yml with hardened_iis_cvrf_dir)"; fi
	ansible-playbook playbooks/dashboard.yml -e hardened_iis_report_dir=$(DEMO)/reports
	@echo "Reports: $(DEMO)/reports/findings.json and findings.junit.xml, patch_compliance.csv (the lab was read from a scratch copy in $(DEMO)/lab)"
	@echo "Dashboard: open $(DEMO)/reports/dashboard.html in a browser (one file, works offline)"

test: lint sanity unit molecule

lint: ruff mypy yamllint ansible-lint changelog-lint

ruff: link
	ruff check plugins tests benchmarks tools
	ruff format --check plugins tests benchmarks tools

mypy: link
	cd $(COLLECTIONS) && mypy --config-file $(CURDIR)/mypy.ini -p ansible_collections.hardened.iis.plugins
	MYPYPATH=$(COLLECTIONS) mypy --config-file mypy.ini tools benchmarks

yamllint: venv
	yamllint --strict .

ansible-lint: link
	ansible-lint --offline --profile production

changelog-lint: venv
	antsibull-changelog lint

sanity: link
	$(BIN)/python tools/ansible_test_pip_bootstrap.py
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)
	$(BIN)/python tools/copy_tracked_files.py $(SANITY_ROOT)
	cd $(SANITY_ROOT) && ansible-test sanity --venv --python 3.11 --color no --skip-test validate-modules
	cd $(SANITY_ROOT) && ansible-test sanity --venv --python 3.11 --color no --test validate-modules $(PS_MODULE_EXCLUDES)

unit: link system-deps
	pytest -n 2 tests/unit

molecule: link
	@scenarios=$$(ls molecule/*/molecule.yml 2>/dev/null | xargs -r -n1 dirname | xargs -r -n1 basename); \
	if [ -z "$$scenarios" ]; then echo "molecule: no scenarios in molecule/ yet"; fi; \
	for scenario in $$scenarios; do \
		if [ "$$scenario" = windows ] && [ -z "$${HARDENED_IIS_WINDOWS_HOST:-}" ]; then \
			echo "molecule windows: skipped, no Windows host configured (set HARDENED_IIS_WINDOWS_HOST and the rest: docs/testing.md)"; continue; \
		fi; \
		molecule test -s "$$scenario"; \
	done

benchmark: link
	python benchmarks/bench_config_engine.py --json .build/benchmark.json
	python benchmarks/bench_harden.py --runs 5
	python benchmarks/bench_hotfix.py --runs 3
	python benchmarks/bench_integrity.py --runs 3
	python benchmarks/bench_discovery.py --runs 3

clean:
	rm -rf .build .mypy_cache .ruff_cache .pytest_cache .hypothesis tests/output
