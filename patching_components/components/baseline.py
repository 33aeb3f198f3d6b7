"""A security-only patch baseline, its patch group registrations and default registration."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws import os_rules
from ..standard import approval_rule, baseline_advice_for
from ._base import TYPE_PREFIX, BuildsFromConfig, child, register_declared_outputs
from .args import SecurityBaselineArgs

if TYPE_CHECKING:
    from ..config import BaselineConfig


class PatchSourcePlumbing(TypedDict, total=False):
    """A custom Linux repository of the baseline: its name, and PatchSourceConfig's settings."""

    name: Required[str]
    """Stable name of the repository."""


class SecurityBaselinePlumbing(TypedDict, total=False):
    """SecurityBaseline's args: BaselineConfig's settings (snake_case) and these."""

    baseline_name: pulumi.Input[str]
    """Name of the baseline in AWS (^[a-zA-Z0-9_.-]{3,128}$); defaults to the component name."""
    patch_groups: Sequence[str]
    """Patch group names (instance tag values) to register this baseline for; they name resources, so plain values."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the baseline."""


def _settings(name: str, args: SecurityBaselineArgs) -> "BaselineConfig":
    """Check plain-Python args with the same model as the stack config."""
    from ..config import fields, sections  # pydantic loads on first use, not on import
    from ._check_args import check_args

    def sources(value: Any) -> Any:  # a list of {name, ...} here, a map keyed by name in the stack file
        if isinstance(value, list) and all(isinstance(s, Mapping) and "name" in s for s in value):
            return {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in value}
        return value

    return check_args(
        "SecurityBaseline",
        name,
        args,
        SecurityBaselineArgs,
        settings=sections.BaselineConfig,
        types={"baseline_name": fields.ResourceName, "patch_groups": list[fields.PatchGroupName], "tags": fields.Tags},
        convert={"sources": sources},
    )


class SecurityBaseline(BuildsFromConfig, pulumi.ComponentResource):
    """A patch baseline that approves security updates only, with the filter keys its
    OS accepts (PRIORITY on Ubuntu/Debian, MSRC_SEVERITY on Windows, ...), registered
    to its patch groups and optionally as the default baseline for its OS.
    """

    baseline_id: pulumi.Output[str]
    """ID of the patch baseline."""
    baseline_arn: pulumi.Output[str]
    """ARN of the patch baseline."""
    operating_system: pulumi.Output[str]
    """The OS the baseline applies to."""
    patch_groups: pulumi.Output[list[str]]
    """Patch groups the baseline is registered to."""

    def __init__(self, name: str, args: SecurityBaselineArgs, opts: pulumi.ResourceOptions | None = None):
        self._setup(name, _settings(name, args), args, opts)  # checked first: bad args build nothing

    def _setup(
        self, name: str, settings: "BaselineConfig", plumbing: Mapping[str, Any], opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}SecurityBaseline", name, None, opts)
        self._build(name, settings, plumbing)
        from ..config.secrets import marked_texts, redact_text

        secret = marked_texts(settings)  # a secret key's values stay out of the log (config.secrets)
        for advice in baseline_advice_for(settings):
            message = redact_text(advice.message, secret, secret)
            pulumi.log.warn(f"SecurityBaseline {name!r}: {advice.field}: {message}", resource=self)

    def _build(self, name: str, settings: "BaselineConfig", plumbing: Mapping[str, Any]) -> None:
        os_name = settings.operating_system
        family = os_rules.family_of(os_name)
        approval = approval_rule(settings)
        rule = aws.ssm.PatchBaselineApprovalRuleArgs(
            patch_filters=[
                aws.ssm.PatchBaselineApprovalRulePatchFilterArgs(key=key, values=list(values))
                for key, values in approval.filters.items()
            ],
            approve_after_days=approval.approve_after_days,
            approve_until_date=approval.approve_until_date.isoformat() if approval.approve_until_date else None,
            compliance_level=approval.compliance_level,
            enable_non_security=approval.enable_non_security,
        )
        baseline = aws.ssm.PatchBaseline(
            name,
            name=plumbing.get("baseline_name") or name,
            description=settings.description or f"Security-only {os_name} patches ({family.name})",
            operating_system=os_name,
            approval_rules=[rule],
            approved_patches=settings.approved_patches or None,
            approved_patches_compliance_level=settings.compliance_level if settings.approved_patches else None,
            # Linux only: which approvedPatches are installed (AWS's default, false: the security updates only).
            approved_patches_enable_non_security=settings.approved_patches_enable_non_security
            if family.linux and settings.approved_patches
            else None,
            # Windows only: available but unapproved security updates make the node NON_COMPLIANT (our default).
            available_security_updates_compliance_status=settings.effective_available_security_updates_compliance_status,
            rejected_patches=settings.rejected_patches or None,
            rejected_patches_action=settings.rejected_patches_action,
            sources=[
                aws.ssm.PatchBaselineSourceArgs(name=key, products=list(src.products), configuration=src.configuration)
                for key, src in settings.sources.items()
            ]
            or None,
            tags=plumbing.get("tags"),
            opts=child(self),
        )

        groups = plumbing.get("patch_groups") or []
        for group in groups:
            aws.ssm.PatchGroup(
                f"{name}-{group}",
                baseline_id=baseline.id,
                patch_group=group,
                # No update in place, and AWS allows one baseline per OS per group:
                # the old registration must go before the new one is made.
                opts=child(self, delete_before_replace=True),
            )
        if settings.default:
            aws.ssm.DefaultPatchBaseline(
                f"{name}-default",
                baseline_id=baseline.id,
                operating_system=os_name,
                opts=child(self),
            )

        self.baseline_id = baseline.id
        self.baseline_arn = baseline.arn
        self.operating_system = pulumi.Output.from_input(os_name)
        self.patch_groups = pulumi.Output.from_input(list(groups))
        register_declared_outputs(self)
