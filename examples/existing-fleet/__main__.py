"""Your own program: patch an existing RHEL 9 fleet with two components.

The instances already carry the tag ``Patch Group = rhel-prod``. One baseline
approves their security updates after five days; one window installs them on
Sunday nights, 20% of the fleet at a time.
"""

import pulumi

from patching_components import PatchingIam, PatchWindow, SecurityBaseline

# patch_groups: the maintenance window role, which may patch exactly these groups.
iam = PatchingIam("fleet", {"tags": {"Team": "platform"}, "patch_groups": ["rhel-prod"]})
SecurityBaseline(
    "rhel9",
    {
        "operating_system": "REDHAT_ENTERPRISE_LINUX",
        "approve_after_days": 5,
        "severities": ["Critical", "Important"],
        "patch_groups": ["rhel-prod"],
    },
)
PatchWindow(
    "rhel-sunday",
    {
        "schedule": "cron(0 3 ? * SUN *)",
        "timezone": "Europe/Paris",
        "duration_hours": 3,
        "cutoff_hours": 1,
        "operation": "Install",
        "max_concurrency": "20%",
        "patch_groups": ["rhel-prod"],
        "service_role_arn": iam.maintenance_window_role_arn,
    },
)
pulumi.export("instanceProfile", iam.instance_profile_name)
