"""What Patch Manager accepts per operating system, in one table.

Validation (``config``) and resource building (``baseline``) both read this
module, so a rule changes in one place. Sources: the SSM API model
(``OperatingSystem``, ``PatchFilterKey``), DescribePatchProperties and the
Patch Manager user guide; see docs/aws-behaviour.md, "Security-only baselines".
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class FilterField:
    """One stack-config list field that becomes one approval-rule patch filter."""

    filter_key: str
    """The PatchFilter key AWS receives (``CLASSIFICATION``, ``MSRC_SEVERITY`` ...)."""
    allowed: tuple[str, ...] | None
    """Accepted values; ``None`` means free text (product names, for instance)."""
    default: tuple[str, ...] = ()
    """Security-only default used when the field is not set; empty means no filter."""


@dataclass(frozen=True)
class OsFamily:
    """Operating systems that share filter keys, allowed values and approval rules."""

    name: str
    operating_systems: tuple[str, ...]
    fields: Mapping[str, FilterField]
    """Stack-config field name (``classifications`` ...) -> filter it builds."""
    supports_approval_delay: bool = True
    """ApproveAfterDays/ApproveUntilDate; Ubuntu and Debian approve on release."""
    security_field: str | None = "classifications"
    """The field whose default values are what "security-only" means for this family;
    None where the repository says it instead (Debian family: EnableNonSecurity=false)."""
    linux: bool = True
    """EnableNonSecurity and custom ``sources`` apply to Linux nodes only."""
    notes: str = ""


_PRODUCTS = FilterField("PRODUCT", None)
DEBIAN_PRIORITIES = ("Required", "Important", "Standard", "Optional", "Extra")
"""The Debian package Priority field (Debian Policy 2.5), as Patch Manager spells its values."""
_LINUX_CLASSES = ("Security", "Bugfix", "Enhancement", "Recommended", "Newpackage")
_SECURITY_ONLY = ("Security",)
_CRITICAL_IMPORTANT = ("Critical", "Important")


def _family(name: str, oses: tuple[str, ...], fields: dict[str, FilterField], **kw) -> OsFamily:
    return OsFamily(name, oses, MappingProxyType({"products": _PRODUCTS, **fields}), **kw)


FAMILIES: tuple[OsFamily, ...] = (
    _family(
        "Amazon Linux",
        ("AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023"),
        {
            "classifications": FilterField("CLASSIFICATION", _LINUX_CLASSES, _SECURITY_ONLY),
            "severities": FilterField("SEVERITY", ("Critical", "Important", "Medium", "Low"), _CRITICAL_IMPORTANT),
        },
    ),
    _family(
        "RHEL family",
        ("REDHAT_ENTERPRISE_LINUX", "CENTOS", "ORACLE_LINUX", "ROCKY_LINUX", "ALMA_LINUX"),
        {
            "classifications": FilterField("CLASSIFICATION", _LINUX_CLASSES, _SECURITY_ONLY),
            "severities": FilterField("SEVERITY", ("Critical", "Important", "Moderate", "Low"), _CRITICAL_IMPORTANT),
        },
    ),
    _family(
        "SUSE",
        ("SUSE",),
        {
            "classifications": FilterField(
                "CLASSIFICATION",
                ("Security", "Recommended", "Optional", "Feature", "Document", "Yast"),
                _SECURITY_ONLY,
            ),
            "severities": FilterField("SEVERITY", ("Critical", "Important", "Moderate", "Low"), _CRITICAL_IMPORTANT),
        },
    ),
    _family(
        "Debian family",
        ("UBUNTU", "DEBIAN", "RASPBIAN"),
        {
            # PRIORITY is the package's Priority control field, not a severity:
            # openssl, openssh-server, libc6, sudo, curl and the kernel are all
            # `optional`. Security-only here is EnableNonSecurity=false (updates
            # from the *-security repositories only), so every priority is
            # approved by default, as in AWS's own Debian/Ubuntu baselines.
            "priorities": FilterField("PRIORITY", DEBIAN_PRIORITIES, DEBIAN_PRIORITIES),
        },
        supports_approval_delay=False,
        security_field=None,
    ),
    _family(
        "Windows",
        ("WINDOWS",),
        {
            "classifications": FilterField(
                "CLASSIFICATION",
                (
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
                ("SecurityUpdates", "CriticalUpdates"),
            ),
            # The config says `severities` for every OS; Windows stores them as MSRC_SEVERITY.
            "severities": FilterField(
                "MSRC_SEVERITY",
                ("Critical", "Important", "Moderate", "Low", "Unspecified"),
                _CRITICAL_IMPORTANT,
            ),
        },
        linux=False,
    ),
    _family(
        "macOS",
        ("MACOS",),
        {
            # macOS classifications are package managers, not security levels:
            # AWS offers no security-only filter, so the default is Apple's own
            # softwareupdate channel (which carries its security updates).
            "classifications": FilterField(
                "CLASSIFICATION",
                ("softwareupdate", "installer", "brew", "brew cask"),
                ("softwareupdate",),
            ),
        },
        linux=False,
        notes="macOS has no security classification; patches are selected by package manager",
    ),
)

_BY_OS: Mapping[str, OsFamily] = MappingProxyType(
    {os_name: family for family in FAMILIES for os_name in family.operating_systems}
)

OPERATING_SYSTEMS: tuple[str, ...] = tuple(_BY_OS)
"""Every OperatingSystem value of the SSM API model (checked by a test)."""

FILTER_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(name for family in FAMILIES for name in family.fields))
"""Every config field that builds a filter, across all families."""

COMPLIANCE_LEVELS = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED")
REJECTED_PATCHES_ACTIONS = ("ALLOW_AS_DEPENDENCY", "BLOCK")
PATCH_GROUP_TAG_KEYS = ("Patch Group", "PatchGroup")

MAX_GROUPS_PER_WINDOW = 50
"""A maintenance window target takes at most 50 tag values (SSM ``TargetValues``)."""
MAX_PATCH_LIST = 50
MAX_FILTER_VALUES = 20
MAX_FILTER_VALUE_LENGTH = 64
MAX_FILTERS_PER_RULE = 4
MAX_SOURCES = 20
MAX_APPROVE_AFTER_DAYS = 360
DEFAULT_APPROVE_AFTER_DAYS = 7
"""Used when a baseline that supports a delay sets neither approveAfterDays nor approveUntilDate."""


def camel(snake: str) -> str:
    """``approve_after_days`` -> ``approveAfterDays``: config field name as the stack file spells it."""
    first, *rest = snake.split("_")
    return first + "".join(word.capitalize() for word in rest)


def family_of(operating_system: str) -> OsFamily:
    """The family of an OperatingSystem value; KeyError names the allowed values."""
    try:
        return _BY_OS[operating_system]
    except KeyError:
        raise KeyError(
            f"unknown operating system {operating_system!r}; allowed: {', '.join(OPERATING_SYSTEMS)}"
        ) from None


@dataclass(frozen=True)
class PatchFilter:
    key: str
    values: tuple[str, ...]


def security_filter(operating_system: str) -> FilterField | None:
    """The filter that makes a rule security-only for this OS, with its security values
    (CLASSIFICATION=Security on yum/zypper Linux, SecurityUpdates/CriticalUpdates on
    Windows, ...); None for the Debian family, where ``EnableNonSecurity=false`` (the
    security repositories only) is what makes a rule security-only."""
    family = family_of(operating_system)
    return family.fields[family.security_field] if family.security_field else None


def severity_filter(operating_system: str) -> FilterField | None:
    """SEVERITY or MSRC_SEVERITY where the OS has one."""
    return family_of(operating_system).fields.get("severities")


def approval_filters(
    operating_system: str, chosen: Mapping[str, list[str] | None], enable_non_security: bool = False
) -> tuple[PatchFilter, ...]:
    """The patch filters of the approval rule for one baseline.

    ``chosen`` maps config field names to the user's values (``None`` or a
    missing key = use the security-only default). Fields the family does not
    know are ignored here: validation has already rejected them. On an OS of
    NO_UPDATE_NOTICES with ``enable_non_security``, unset filters stay off
    (packages without an update notice have no classification to match).
    """
    result = []
    bare = enable_non_security and operating_system in NO_UPDATE_NOTICES
    for name, spec in family_of(operating_system).fields.items():
        given = chosen.get(name)
        values = (() if bare else spec.default) if given is None else tuple(given)
        if values:
            result.append(PatchFilter(spec.filter_key, values))
    return tuple(result)


# ---------------------------------------------------------------------------
# Windows: security updates that are available but not approved

WINDOWS_ONLY_COMPLIANCE_STATUS = ("WINDOWS",)
"""AvailableSecurityUpdatesComplianceStatus applies to Windows Server nodes only (CreatePatchBaseline)."""
AVAILABLE_SECURITY_UPDATES_STATUSES = ("COMPLIANT", "NON_COMPLIANT")
DEFAULT_AVAILABLE_SECURITY_UPDATES_STATUS = "NON_COMPLIANT"
"""Ours: a security update the baseline does not (yet) approve makes the node NON_COMPLIANT, never a
silent green (AWS's own default when the field is unset is COMPLIANT)."""
MAX_WINDOWS_APPROVAL_DELAY_DAYS = 30
"""Microsoft releases security updates monthly; a longer delay leaves each month's fixes unapproved past the next
release, and a re-released update restarts the wait (CreatePatchBaseline, AvailableSecurityUpdatesComplianceStatus)."""


# ---------------------------------------------------------------------------
# CentOS: no update notices in the default repositories

NO_UPDATE_NOTICES = ("CENTOS",)
"""OSes whose default repositories carry no update notices (updateinfo.xml): a CLASSIFICATION=Security rule
approves nothing there, and AWS says to turn on EnableNonSecurity ("How security patches are selected",
CentOS tab). Built like AWS-CentOSDefaultPatchBaseline then: no classification/severity filter by default."""
NO_UPDATE_NOTICES_REASON = (
    "{os}'s default repositories carry no update notices, so a rule without enableNonSecurity approves nothing "
    "and the nodes still report COMPLIANT (AWS, 'How security patches are selected', CentOS tab); set "
    "enableNonSecurity: true (approves every update of those repositories, bug fixes too, as "
    "AWS-CentOSDefaultPatchBaseline does; the patching standard then needs patching:tags.PatchingWaiver), give "
    "sources whose repositories carry update notices, or move the nodes to ROCKY_LINUX or ALMA_LINUX"
)
"""Why a CentOS rule without EnableNonSecurity is refused (the config model, and the policy pack's mandatory rule)."""


# ---------------------------------------------------------------------------
# PRODUCT values (data/patch-products.json: one file, with its sources and date)


@dataclass(frozen=True)
class ProductList:
    names: tuple[str, ...]
    """PRODUCT values AWS lists for the OS (DescribePatchProperties)."""
    minor_releases: str | None = None
    """Regex (groups major, minor) of names that pin one minor release, where nodes move to later ones."""
    newer_releases: str | None = None
    """Regex of well-formed names of releases newer than the list: accepted (the list is dated)."""


PRODUCT_WILDCARD = "*"
"""The one wildcard AWS documents for filter values: every product (PatchFilter)."""


@functools.cache
def _product_data() -> Mapping[str, Any]:
    text = resources.files("patching_components").joinpath("data/patch-products.json").read_text()
    return MappingProxyType(json.loads(text))


def product_sources() -> tuple[tuple[str, str], ...]:
    """(title, URL) of the AWS pages the product list comes from."""
    return tuple((s["title"], s["url"]) for s in _product_data()["sources"])


def product_list_date() -> str:
    return str(_product_data()["compiled"])


@functools.cache
def products_of(operating_system: str) -> ProductList:
    entry = _product_data()["products"][operating_system]
    return ProductList(tuple(entry["names"]), entry.get("minorReleases"), entry.get("newerReleases"))


def product_known(operating_system: str, product: str) -> bool:
    """Whether AWS takes ``product`` as a PRODUCT value of this OS: listed, ``*``, or a newer release's name."""
    spec = products_of(operating_system)
    if product == PRODUCT_WILDCARD or product in spec.names:
        return True
    return bool(spec.newer_releases and re.match(spec.newer_releases, product))


def later_minor_releases(operating_system: str, products: Sequence[str]) -> dict[str, list[str]]:
    """Per major release whose minor releases ``products`` pins: the later minor releases AWS lists and the list
    leaves out (empty when it names the latest listed one: later releases are still to come)."""
    spec = products_of(operating_system)
    if not spec.minor_releases or PRODUCT_WILDCARD in products:
        return {}
    pinned: dict[str, int] = {}
    for product in products:
        if found := re.match(spec.minor_releases, product):
            major, minor = found["major"], int(found["minor"])
            pinned[major] = max(minor, pinned.get(major, -1))
    result: dict[str, list[str]] = {}
    for major, highest in pinned.items():
        later = [
            name
            for name in spec.names
            if (found := re.match(spec.minor_releases, name))
            and found["major"] == major
            and int(found["minor"]) > highest
            and name not in products
        ]
        result[major] = later
    return result


# ---------------------------------------------------------------------------
# End of support (one table: validation, the policy pack and docs/configuration.md read it)


@dataclass(frozen=True)
class EndOfSupport:
    operating_system: str
    release: str
    """The release as people name it (``Amazon Linux 2``, ``CentOS 7``)."""
    ends: date
    """The last day of (standard) security updates."""
    replacement: str
    source: str
    """URL of the page that states the date."""
    products: str | None = None
    """Regex of the PRODUCT values of this release; None: the whole operating system."""


END_OF_SUPPORT: tuple[EndOfSupport, ...] = (
    EndOfSupport(
        "AMAZON_LINUX",
        "Amazon Linux (AMI, 2018.03)",
        date(2023, 12, 31),
        "Amazon Linux 2023 (AMAZON_LINUX_2023)",
        "https://aws.amazon.com/amazon-linux-ami/faqs/",
    ),
    EndOfSupport(
        "AMAZON_LINUX_2022",
        "Amazon Linux 2022 (preview, released as Amazon Linux 2023)",
        date(2023, 3, 15),
        "Amazon Linux 2023 (AMAZON_LINUX_2023)",
        "https://aws.amazon.com/linux/amazon-linux-2023/faqs/",
    ),
    EndOfSupport(
        "AMAZON_LINUX_2",
        "Amazon Linux 2",
        date(2026, 6, 30),
        "Amazon Linux 2023 (AMAZON_LINUX_2023)",
        "https://aws.amazon.com/amazon-linux-2/faqs/",
    ),
    EndOfSupport(
        "CENTOS",
        "CentOS 6",
        date(2020, 11, 30),
        "Rocky Linux or AlmaLinux (ROCKY_LINUX, ALMA_LINUX) or RHEL",
        "https://www.centos.org/centos-linux-eol/",
        r"^CentOS6(\.[0-9]+)?$",
    ),
    EndOfSupport(
        "CENTOS",
        "CentOS 7",
        date(2024, 6, 30),
        "Rocky Linux or AlmaLinux (ROCKY_LINUX, ALMA_LINUX) or RHEL",
        "https://www.centos.org/centos-linux-eol/",
        r"^CentOS7(\.[0-9]+)?$",
    ),
    EndOfSupport(
        "CENTOS",
        "CentOS 8",
        date(2021, 12, 31),
        "Rocky Linux or AlmaLinux (ROCKY_LINUX, ALMA_LINUX) or RHEL",
        "https://www.centos.org/centos-linux-eol/",
        r"^CentOS8(\.[0-9]+)?$",
    ),
    EndOfSupport(
        "CENTOS",
        "CentOS Stream 8",
        date(2024, 5, 31),
        "Rocky Linux or AlmaLinux (ROCKY_LINUX, ALMA_LINUX) or RHEL",
        "https://blog.centos.org/2023/04/end-dates-are-coming-for-centos-stream-8-and-centos-linux-7/",
        r"^CentOSStream8$",
    ),
    EndOfSupport(
        "REDHAT_ENTERPRISE_LINUX",
        "RHEL 6",
        date(2020, 11, 30),
        "RHEL 9 (RedhatEnterpriseLinux9.x)",
        "https://access.redhat.com/support/policy/updates/errata",
        r"^RedhatEnterpriseLinux6\.[0-9]+$",
    ),
    EndOfSupport(
        "REDHAT_ENTERPRISE_LINUX",
        "RHEL 7",
        date(2024, 6, 30),
        "RHEL 9 (RedhatEnterpriseLinux9.x)",
        "https://access.redhat.com/support/policy/updates/errata",
        r"^RedhatEnterpriseLinux7\.[0-9]+$",
    ),
    EndOfSupport(
        "ORACLE_LINUX",
        "Oracle Linux 7",
        date(2024, 12, 31),
        "Oracle Linux 9",
        "https://www.oracle.com/a/ocom/docs/elsp-lifetime-069338.pdf",
        r"^OracleLinux7\.[0-9]+$",
    ),
    EndOfSupport(
        "UBUNTU",
        "Ubuntu 18.04",
        date(2023, 5, 31),
        "Ubuntu 24.04",
        "https://ubuntu.com/about/release-cycle",
        r"^Ubuntu(14|16|18)\.04$",
    ),
    EndOfSupport(
        "UBUNTU",
        "Ubuntu 20.04",
        date(2025, 5, 31),
        "Ubuntu 24.04",
        "https://ubuntu.com/about/release-cycle",
        r"^Ubuntu20\.(04|10)$",
    ),
    EndOfSupport(
        "DEBIAN",
        "Debian 10",
        date(2024, 6, 30),
        "Debian 12",
        "https://wiki.debian.org/LTS",
        r"^Debian(8|9|10)$",
    ),
    EndOfSupport(
        "DEBIAN",
        "Debian 11",
        date(2026, 8, 31),
        "Debian 12",
        "https://wiki.debian.org/LTS",
        r"^Debian11$",
    ),
    EndOfSupport(
        "WINDOWS",
        "Windows Server 2008 / 2008 R2",
        date(2020, 1, 14),
        "Windows Server 2022 or 2025",
        "https://learn.microsoft.com/lifecycle/products/windows-server-2008-r2",
        r"^WindowsServer2008(R2)?$",
    ),
    EndOfSupport(
        "WINDOWS",
        "Windows Server 2012 / 2012 R2",
        date(2023, 10, 10),
        "Windows Server 2022 or 2025",
        "https://learn.microsoft.com/lifecycle/products/windows-server-2012-r2",
        r"^WindowsServer2012(R2)?$",
    ),
)
"""Releases past (or near) the end of their security updates: a baseline for one patches nothing new."""

END_OF_SUPPORT_NOTICE_DAYS = 180
"""A release whose support ends within this many days is warned about too."""


def end_of_support(operating_system: str, products: Sequence[str] | None) -> list[EndOfSupport]:
    """The table's entries a baseline of this OS and PRODUCT filter targets: the whole-OS entry, or the entries
    whose products it lists (a baseline without products, or with ``*``, covers every release of the OS)."""
    found = []
    for entry in END_OF_SUPPORT:
        if entry.operating_system != operating_system:
            continue
        if entry.products is None or (
            products and PRODUCT_WILDCARD not in products and any(re.match(entry.products, p) for p in products)
        ):
            found.append(entry)
    return found
