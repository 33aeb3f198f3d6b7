"""What Patch Manager accepts per operating system, in one table.

Validation (``config``) and resource building (``baseline``) both read this
module, so a rule changes in one place. Sources: the SSM API model
(``OperatingSystem``, ``PatchFilterKey``), DescribePatchProperties and the
Patch Manager user guide; see ``shared/AWS-FACTS.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


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


def approval_filters(operating_system: str, chosen: Mapping[str, list[str] | None]) -> tuple[PatchFilter, ...]:
    """The patch filters of the approval rule for one baseline.

    ``chosen`` maps config field names to the user's values (``None`` or a
    missing key = use the security-only default). Fields the family does not
    know are ignored here: validation has already rejected them.
    """
    result = []
    for name, spec in family_of(operating_system).fields.items():
        given = chosen.get(name)
        values = spec.default if given is None else tuple(given)
        if values:
            result.append(PatchFilter(spec.filter_key, values))
    return tuple(result)
