"""What a baseline's approval rule may filter on, per operating system, written by hand from AWS's
documentation and the vendors' own rating scales: the tests' answer key, independent of
``patching_components.aws.os_rules`` (the table under test).

Sources:
- operating systems: botocore's SSM model, ``OperatingSystem`` (tests compare this table's keys with it);
- filter keys per OS: DescribePatchProperties,
  https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribePatchProperties.html
  (and botocore's ``PatchFilterKey``);
- values: PatchFilter, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchFilter.html;
  "How security patches are selected",
  https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-selecting-patches.html;
  the severities each vendor publishes: Amazon Linux Security Center (https://alas.aws.amazon.com/: Critical,
  Important, Medium, Low), Red Hat (https://access.redhat.com/security/updates/classification: Critical,
  Important, Moderate, Low), SUSE (https://www.suse.com/support/security/rating/: the same four), Microsoft
  (MSRC severities, with AWS's Unspecified); Debian Policy 2.5 for the five package priorities
  (https://www.debian.org/doc/debian-policy/ch-archive.html#priorities);
- no approval delay on Ubuntu and Debian ("it's not possible to reliably determine the release dates of update
  packages"), and EnableNonSecurity for Linux only: CreatePatchBaseline / PatchRule,
  https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchRule.html
"""

from __future__ import annotations

from dataclasses import dataclass

YUM_CLASSIFICATIONS = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
VENDOR_SEVERITIES = ("Critical", "Important", "Moderate", "Low")  # Red Hat's and SUSE's scale


@dataclass(frozen=True)
class Filters:
    """The stack config's list fields for one OS (config name -> the values AWS takes)."""

    fields: dict[str, tuple[str, ...]]
    keys: dict[str, str]
    """Config name -> the PatchFilter key it becomes."""
    approval_delay: bool = True
    linux: bool = True
    security_only: dict[str, tuple[str, ...]] | None = None
    """What approves security updates only (None: the repository decides, EnableNonSecurity=false)."""


_AMAZON_LINUX = Filters(
    fields={"classifications": YUM_CLASSIFICATIONS, "severities": ("Critical", "Important", "Medium", "Low")},
    keys={"classifications": "CLASSIFICATION", "severities": "SEVERITY"},
    security_only={"classifications": ("Security",)},
)
_RHEL = Filters(
    fields={"classifications": YUM_CLASSIFICATIONS, "severities": VENDOR_SEVERITIES},
    keys={"classifications": "CLASSIFICATION", "severities": "SEVERITY"},
    security_only={"classifications": ("Security",)},
)
_SUSE = Filters(
    fields={
        "classifications": ("Security", "Recommended", "Optional", "Feature", "Document", "Yast"),
        "severities": VENDOR_SEVERITIES,
    },
    keys={"classifications": "CLASSIFICATION", "severities": "SEVERITY"},
    security_only={"classifications": ("Security",)},
)
_DEBIAN = Filters(
    fields={"priorities": ("Required", "Important", "Standard", "Optional", "Extra")},
    keys={"priorities": "PRIORITY"},
    approval_delay=False,
)
_WINDOWS = Filters(
    fields={
        "classifications": (
            "CriticalUpdates",
            "DefinitionUpdates",
            "Drivers",
            "FeaturePacks",
            "SecurityUpdates",
            "ServicePacks",
            "Tools",
            "UpdateRollups",
            "Updates",
            "Upgrades",
        ),
        "severities": ("Critical", "Important", "Moderate", "Low", "Unspecified"),
    },
    keys={"classifications": "CLASSIFICATION", "severities": "MSRC_SEVERITY"},
    linux=False,
    security_only={"classifications": ("SecurityUpdates", "CriticalUpdates")},
)
_MACOS = Filters(
    # Patch Manager selects macOS updates by package manager ("How patch baseline rules work on macOS").
    fields={"classifications": ("softwareupdate", "installer", "brew", "brew cask")},
    keys={"classifications": "CLASSIFICATION"},
    linux=False,
)

BY_OS: dict[str, Filters] = {
    **dict.fromkeys(("AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023"), _AMAZON_LINUX),
    **dict.fromkeys(("REDHAT_ENTERPRISE_LINUX", "CENTOS", "ORACLE_LINUX", "ROCKY_LINUX", "ALMA_LINUX"), _RHEL),
    "SUSE": _SUSE,
    **dict.fromkeys(("UBUNTU", "DEBIAN", "RASPBIAN"), _DEBIAN),
    "WINDOWS": _WINDOWS,
    "MACOS": _MACOS,
}
