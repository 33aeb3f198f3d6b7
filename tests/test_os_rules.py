"""The OS table against botocore's SSM model and the AWS facts it encodes."""

import json
import re
from datetime import date
from pathlib import Path

import botocore.session
import pytest
from docs_pages import docs_text

from patching_components.aws import os_rules

SSM = botocore.session.get_session().get_service_model("ssm")

# Filter keys AWS accepts per OS (DescribePatchProperties; docs/aws-behaviour.md).
YUM_ZYPPER = {"PRODUCT", "CLASSIFICATION", "SEVERITY"}
DEBIAN = {"PRODUCT", "PRIORITY", "SECTION"}
ACCEPTED_KEYS = {
    **{
        os: YUM_ZYPPER
        for os in (
            "AMAZON_LINUX",
            "AMAZON_LINUX_2",
            "AMAZON_LINUX_2022",
            "AMAZON_LINUX_2023",
            "REDHAT_ENTERPRISE_LINUX",
            "CENTOS",
            "ORACLE_LINUX",
            "ROCKY_LINUX",
            "ALMA_LINUX",
            "SUSE",
        )
    },
    "UBUNTU": DEBIAN,
    "DEBIAN": DEBIAN,
    "RASPBIAN": DEBIAN,
    "WINDOWS": {"PRODUCT", "PRODUCT_FAMILY", "CLASSIFICATION", "MSRC_SEVERITY", "PATCH_SET"},
    "MACOS": {"PRODUCT", "CLASSIFICATION"},
}


def test_operating_systems_match_the_api_model():
    assert set(os_rules.OPERATING_SYSTEMS) == set(SSM.shape_for("OperatingSystem").enum)
    assert set(ACCEPTED_KEYS) == set(os_rules.OPERATING_SYSTEMS)


@pytest.mark.parametrize("os_name", sorted(ACCEPTED_KEYS))
def test_each_os_only_builds_filter_keys_it_accepts(os_name):
    family = os_rules.family_of(os_name)
    keys = {spec.filter_key for spec in family.fields.values()}
    assert keys <= ACCEPTED_KEYS[os_name]
    assert keys <= set(SSM.shape_for("PatchFilterKey").enum)


@pytest.mark.parametrize(
    ("os_name", "expected"),
    [
        ("AMAZON_LINUX_2023", {"CLASSIFICATION": ("Security",), "SEVERITY": ("Critical", "Important")}),
        ("REDHAT_ENTERPRISE_LINUX", {"CLASSIFICATION": ("Security",), "SEVERITY": ("Critical", "Important")}),
        ("SUSE", {"CLASSIFICATION": ("Security",), "SEVERITY": ("Critical", "Important")}),
        # Debian Policy 2.5's five priorities: openssl, libc6, the kernel ... are "optional".
        ("UBUNTU", {"PRIORITY": ("Required", "Important", "Standard", "Optional", "Extra")}),
        ("DEBIAN", {"PRIORITY": ("Required", "Important", "Standard", "Optional", "Extra")}),
        (
            "WINDOWS",
            {"CLASSIFICATION": ("SecurityUpdates", "CriticalUpdates"), "MSRC_SEVERITY": ("Critical", "Important")},
        ),
    ],
)
def test_security_only_defaults(os_name, expected):
    filters = os_rules.approval_filters(os_name, {})
    assert {f.key: f.values for f in filters} == expected


def test_amazon_linux_severities_are_the_documented_four():
    spec = os_rules.family_of("AMAZON_LINUX_2").fields["severities"]
    assert spec.allowed == ("Critical", "Important", "Medium", "Low")


def test_windows_msrc_values():
    spec = os_rules.family_of("WINDOWS").fields["severities"]
    assert spec.filter_key == "MSRC_SEVERITY"
    assert set(spec.allowed) == {"Critical", "Important", "Moderate", "Low", "Unspecified"}


def test_debian_family_has_no_approval_delay():
    for os_name in ("UBUNTU", "DEBIAN", "RASPBIAN"):
        assert not os_rules.family_of(os_name).supports_approval_delay
    assert os_rules.family_of("AMAZON_LINUX_2023").supports_approval_delay


def test_enums_match_the_api_model():
    assert set(os_rules.COMPLIANCE_LEVELS) == set(SSM.shape_for("PatchComplianceLevel").enum)
    assert set(os_rules.REJECTED_PATCHES_ACTIONS) == set(SSM.shape_for("PatchAction").enum)
    assert os_rules.MAX_PATCH_LIST == SSM.shape_for("PatchIdList").metadata["max"]
    assert os_rules.MAX_FILTERS_PER_RULE == SSM.shape_for("PatchFilterList").metadata["max"]
    assert os_rules.MAX_APPROVE_AFTER_DAYS == SSM.shape_for("ApproveAfterDays").metadata["max"]


def test_unknown_os_names_the_allowed_values():
    with pytest.raises(KeyError) as info:
        os_rules.family_of("AMAZON_LINUX_2024")
    message = str(info.value)
    assert "unknown operating system 'AMAZON_LINUX_2024'; allowed: AMAZON_LINUX, AMAZON_LINUX_2," in message
    assert "UBUNTU" in message and "WINDOWS" in message


@pytest.mark.parametrize(
    ("os_name", "key", "values"),
    [
        ("AMAZON_LINUX_2023", "CLASSIFICATION", ("Security",)),
        ("ROCKY_LINUX", "CLASSIFICATION", ("Security",)),
        ("SUSE", "CLASSIFICATION", ("Security",)),
        ("WINDOWS", "CLASSIFICATION", ("SecurityUpdates", "CriticalUpdates")),
        ("MACOS", "CLASSIFICATION", ("softwareupdate",)),
    ],
)
def test_what_security_only_means_per_os(os_name, key, values):
    """The policy pack judges any baseline by this; docs/aws-behaviour.md, "Security-only baselines"."""
    security = os_rules.security_filter(os_name)
    assert (security.filter_key, security.default) == (key, values)


@pytest.mark.parametrize("os_name", ["UBUNTU", "DEBIAN", "RASPBIAN"])
def test_debian_family_is_security_only_by_repository_not_by_priority(os_name):
    """docs/aws-behaviour.md: EnableNonSecurity=false (the -security repositories) is the restriction there."""
    assert os_rules.security_filter(os_name) is None
    assert os_rules.family_of(os_name).linux  # so EnableNonSecurity=false is sent


def test_severity_filters_exist_where_aws_has_them():
    assert os_rules.severity_filter("WINDOWS").filter_key == "MSRC_SEVERITY"
    assert os_rules.severity_filter("SUSE").filter_key == "SEVERITY"
    assert os_rules.severity_filter("UBUNTU") is None and os_rules.severity_filter("MACOS") is None


# ---------------------------------------------------------------------------
# Issue 26: PRODUCT names and end-of-support dates, one table each with sources

PRODUCTS_FILE = Path(os_rules.__file__).parent.parent / "data" / "patch-products.json"


def test_the_product_list_names_its_aws_sources_and_date():
    data = json.loads(PRODUCTS_FILE.read_text())
    assert set(data["products"]) == set(os_rules.OPERATING_SYSTEMS)
    assert date.fromisoformat(data["compiled"])
    urls = [url for _, url in os_rules.product_sources()]
    assert "https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribePatchProperties.html" in urls
    assert all(url.startswith("https://docs.aws.amazon.com/") for url in urls)


@pytest.mark.parametrize("os_name", sorted(ACCEPTED_KEYS))
def test_each_os_lists_products_that_fit_aws_limits(os_name):
    spec = os_rules.products_of(os_name)
    assert spec.names and len(set(spec.names)) == len(spec.names)
    assert all(0 < len(name) <= os_rules.MAX_FILTER_VALUE_LENGTH for name in spec.names)
    assert all(os_rules.product_known(os_name, name) for name in spec.names)
    for pattern in (spec.minor_releases, spec.newer_releases):
        assert pattern is None or re.compile(pattern)


@pytest.mark.parametrize(
    ("os_name", "product", "known"),
    [
        ("REDHAT_ENTERPRISE_LINUX", "RedhatEnterpriseLinux9.5", True),
        ("REDHAT_ENTERPRISE_LINUX", "RedhatEnterpriseLinux9.9", True),  # a later release than the dated list
        ("REDHAT_ENTERPRISE_LINUX", "RHEL9", False),
        ("REDHAT_ENTERPRISE_LINUX", "RedhatEnterpriseLinux9*", False),  # AWS documents '*' alone
        ("REDHAT_ENTERPRISE_LINUX", "*", True),
        ("AMAZON_LINUX_2023", "AmazonLinux2023", True),
        ("AMAZON_LINUX_2023", "AmazonLinux2", False),
        ("UBUNTU", "Ubuntu22.04", True),
        ("UBUNTU", "jammy", False),
        ("WINDOWS", "WindowsServer2022", True),
        ("WINDOWS", "Windows Server 2022", False),
    ],
)
def test_product_names(os_name, product, known):
    assert os_rules.product_known(os_name, product) is known


def test_later_minor_releases():
    rhel = "REDHAT_ENTERPRISE_LINUX"
    assert os_rules.later_minor_releases(rhel, ["RedhatEnterpriseLinux9.4", "RedhatEnterpriseLinux9.5"]) == {
        "9": ["RedhatEnterpriseLinux9.6"]
    }
    assert os_rules.later_minor_releases(rhel, ["RedhatEnterpriseLinux9.6", "RedhatEnterpriseLinux8.10"]) == {
        "9": [],
        "8": [],
    }
    assert os_rules.later_minor_releases(rhel, ["*", "RedhatEnterpriseLinux9.4"]) == {}
    assert os_rules.later_minor_releases("UBUNTU", ["Ubuntu22.04"]) == {}


def test_the_end_of_support_table():
    assert {e.operating_system for e in os_rules.END_OF_SUPPORT} <= set(os_rules.OPERATING_SYSTEMS)
    assert all(e.source.startswith("https://") and e.replacement for e in os_rules.END_OF_SUPPORT)
    (al2,) = os_rules.end_of_support("AMAZON_LINUX_2", None)
    assert (al2.ends, al2.replacement) == (date(2026, 6, 30), "Amazon Linux 2023 (AMAZON_LINUX_2023)")
    assert [e.release for e in os_rules.end_of_support("AMAZON_LINUX", None)] == ["Amazon Linux (AMI, 2018.03)"]
    assert os_rules.end_of_support("AMAZON_LINUX_2022", None)
    # Releases are matched by the PRODUCT filter; without one the baseline may serve a supported release.
    assert [e.release for e in os_rules.end_of_support("CENTOS", ["CentOS7.9", "CentOSStream9"])] == ["CentOS 7"]
    assert [e.release for e in os_rules.end_of_support("CENTOS", ["CentOS8.5"])] == ["CentOS 8"]
    assert os_rules.end_of_support("CENTOS", None) == [] and os_rules.end_of_support("CENTOS", ["*"]) == []
    assert os_rules.end_of_support("AMAZON_LINUX_2023", None) == []
    # Every product the table names is one the product list knows.
    for entry in os_rules.END_OF_SUPPORT:
        if entry.products:
            assert any(re.match(entry.products, p) for p in os_rules.products_of(entry.operating_system).names)


def test_centos_filters_follow_enable_non_security():
    """No update notices: a classification filter would match nothing (AWS-CentOSDefaultPatchBaseline has none)."""
    assert {f.key for f in os_rules.approval_filters("CENTOS", {})} == {"CLASSIFICATION", "SEVERITY"}
    assert os_rules.approval_filters("CENTOS", {}, enable_non_security=True) == ()
    assert os_rules.approval_filters("CENTOS", {"severities": ["Critical"]}, enable_non_security=True) == (
        os_rules.PatchFilter("SEVERITY", ("Critical",)),
    )
    assert {f.key for f in os_rules.approval_filters("ROCKY_LINUX", {}, enable_non_security=True)} == {
        "CLASSIFICATION",
        "SEVERITY",
    }


def test_the_readme_states_the_end_of_support_table_as_the_code_has_it():
    readme = docs_text("configuration.md")
    rows = [line for line in readme.splitlines() if line.startswith("| ") and "end of security updates" not in line]
    for entry in os_rules.END_OF_SUPPORT:
        row = f"| {entry.release} (`{entry.operating_system}`) | {entry.ends.isoformat()} | {entry.replacement} | "
        assert any(line.startswith(row) and entry.source in line for line in rows), row
