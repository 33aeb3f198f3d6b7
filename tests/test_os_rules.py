"""The OS table against botocore's SSM model and the AWS facts it encodes."""

import botocore.session
import pytest

from patching_components import os_rules

SSM = botocore.session.get_session().get_service_model("ssm")

# Filter keys AWS accepts per OS (DescribePatchProperties; shared/AWS-FACTS.md).
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
    """The policy pack judges any baseline by this; AWS-FACTS.md's security-only defaults."""
    security = os_rules.security_filter(os_name)
    assert (security.filter_key, security.default) == (key, values)


@pytest.mark.parametrize("os_name", ["UBUNTU", "DEBIAN", "RASPBIAN"])
def test_debian_family_is_security_only_by_repository_not_by_priority(os_name):
    """AWS-FACTS.md: EnableNonSecurity=false (the -security repositories) is the restriction there."""
    assert os_rules.security_filter(os_name) is None
    assert os_rules.family_of(os_name).linux  # so EnableNonSecurity=false is sent


def test_severity_filters_exist_where_aws_has_them():
    assert os_rules.severity_filter("WINDOWS").filter_key == "MSRC_SEVERITY"
    assert os_rules.severity_filter("SUSE").filter_key == "SEVERITY"
    assert os_rules.severity_filter("UBUNTU") is None and os_rules.severity_filter("MACOS") is None
