# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sample_hosts filter: deterministic samples, their size, validation and its documentation."""

from __future__ import annotations

import inspect
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.filter import sample_hosts as plugin
from ansible_collections.hardened.iis.plugins.filter.sample_hosts import sample_hosts

ROOT = Path(__file__).resolve().parents[4]
HOSTS = [f"web{number:02d}" for number in range(1, 11)]
names = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=40, unique=True)
percents = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3)
seeds = st.one_of(st.text(max_size=20), st.integers())


def test_a_seed_chooses_the_same_hosts_every_time_and_in_inventory_order() -> None:
    # Pinned: an audit trail that says "seed 2026-03-10 chose these" must stay true in later releases.
    assert sample_hosts(HOSTS, 30, "2026-03-10") == ["web02", "web08", "web10"]
    assert sample_hosts(HOSTS, 30, "x") == ["web07", "web09", "web10"]
    assert sample_hosts(list(reversed(HOSTS)), 30, "2026-03-10") == ["web10", "web08", "web02"]


@given(names, percents, seeds, st.randoms())
def test_the_sample_depends_on_the_hosts_and_seed_not_their_order(hosts: list[str], percent: Decimal, seed: Any, random: Any) -> None:
    shuffled = list(hosts)
    random.shuffle(shuffled)
    sample = sample_hosts(hosts, percent, seed)
    assert set(sample_hosts(shuffled, percent, seed)) == set(sample)
    assert sample == [host for host in hosts if host in sample]
    assert len(sample) == max(1, math.ceil(len(hosts) * percent / 100))


@given(names, percents, seeds, st.text(min_size=1, max_size=12))
def test_a_new_host_changes_the_sample_of_the_others_by_at_most_itself(hosts: list[str], percent: Decimal, seed: Any, new: str) -> None:
    if new in hosts:
        return
    before = set(sample_hosts(hosts, percent, seed))
    after = set(sample_hosts([*hosts, new], percent, seed)) - {new}
    assert len(before ^ after) <= 1


def test_different_seeds_choose_different_samples() -> None:
    fleet = [f"iis{number:03d}" for number in range(200)]
    samples = {tuple(sample_hosts(fleet, 10, f"2026-03-{day:02d}")) for day in range(1, 31)}
    assert len(samples) == 30


@pytest.mark.parametrize(
    ("percent", "count"),
    [(100, 10), ("100", 10), (0.01, 1), ("12.5", 2), (Decimal("50"), 5), (10, 1), (" 20 ", 2), (33.3, 4)],
)
def test_the_sample_size_is_the_share_rounded_up_and_at_least_one(percent: Any, count: int) -> None:
    assert len(sample_hosts(HOSTS, percent, "s")) == count


def test_an_integer_seed_and_its_text_choose_alike_and_duplicates_count_once() -> None:
    assert sample_hosts(HOSTS, 40, 42) == sample_hosts(HOSTS, 40, "42")
    assert sample_hosts([*HOSTS, "web01"], 100) == HOSTS
    assert sample_hosts([], 50, "s") == []


@pytest.mark.parametrize("percent", [0, -1, 100.5, "101", "abc", "10%", "", None, True, float("nan"), float("inf"), "NaN", [10], {"p": 1}])
def test_a_bad_percentage_fails_naming_audit_sample_percent(percent: Any) -> None:
    with pytest.raises(AnsibleFilterError, match=re.escape("audit_sample_percent must be a number greater than 0 and at most 100")):
        sample_hosts(HOSTS, percent, "s")


@pytest.mark.parametrize("seed", [None, 1.5, True, ["a"]])
def test_a_bad_seed_fails_naming_audit_sample_seed(seed: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="audit_sample_seed must be a string or an integer"):
        sample_hosts(HOSTS, 10, seed)


def test_the_hosts_must_be_a_list_of_names() -> None:
    with pytest.raises(AnsibleFilterError, match="expects a list of host names, not a str"):
        sample_hosts("web01,web02", 10)
    with pytest.raises(AnsibleFilterError, match="expects host names, not a int"):
        sample_hosts(["web01", 2], 10)


def test_the_filter_is_registered_and_documented_with_its_options() -> None:
    assert plugin.FilterModule().filters() == {"sample_hosts": sample_hosts}
    documentation = yaml.safe_load((ROOT / "plugins" / "filter" / "sample_hosts.yml").read_text(encoding="utf-8"))
    assert documentation["DOCUMENTATION"]["name"] == "sample_hosts"
    options = documentation["DOCUMENTATION"]["options"]
    parameters = inspect.signature(sample_hosts).parameters
    assert set(options) == {"_input", *list(parameters)[1:]}
    assert options["seed"]["default"] == parameters["seed"].default
