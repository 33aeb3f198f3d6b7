"""The layout: which region builds what, under which names (expected names written out by hand)."""

from patching_components import layout
from patching_components.config import validate

STACK = {
    "customer": "acme",
    "regions": ["eu-west-1", "us-east-1"],
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
    "maintenanceWindows": {
        "scan": {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"},
        "eu-only": {
            "schedule": "cron(0 3 ? * SAT *)",
            "durationHours": 3,
            "cutoffHours": 1,
            "operation": "Install",
            "regions": ["eu-west-1"],
        },
    },
    "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["scan", "eu-only"]}},
    "logging": {"s3Bucket": "create"},
}


def test_the_primary_region_keeps_one_region_names_and_others_carry_theirs():
    config = validate(STACK, "acme")
    primary, other = layout.regions(config)
    assert (primary.region, primary.primary, primary.named_region) == ("eu-west-1", True, None)
    assert (other.region, other.primary, other.named_region) == ("us-east-1", False, "us-east-1")
    assert primary.windows == ("scan", "eu-only") and other.windows == ("scan",)
    assert primary.window_name("scan") == "acme-scan"
    assert other.window_name("scan") == "acme-us-east-1-scan"
    assert other.baseline_name("al2023") == "acme-us-east-1-al2023"
    assert other.alerts_topic_name() == "acme-us-east-1-alerts"
    assert primary.pipeline_names("base") == ("acme-golden-ami-base", "/patching/acme/golden-ami/base")
    assert other.pipeline_names("base") == (
        "acme-us-east-1-golden-ami-base",
        "/patching/acme/us-east-1/golden-ami/base",
    )
    assert other.freeze_names() == ("acme-us-east-1-change-freezes", "acme-us-east-1-freeze-guard")
    # Pulumi names (URNs) follow the component's name as the AWS names follow the customer's.
    assert primary.pulumi_name("acme", "al2023") == "acme-al2023"
    assert other.pulumi_name("acme", "golden", "base") == "acme-us-east-1-golden-base"
    assert other.pulumi_name("acme") == "acme-us-east-1"
    assert layout.subscription_name("acme", "Ops@Example.com") == layout.subscription_name("acme", "ops@example.com")
    assert layout.window_log_prefix(config, "scan") == "patching/acme/scan"
    assert layout.window_log_prefix(config, "scan", "us-east-1") == "patching/acme/us-east-1/scan"


def test_without_regions_the_primary_region_is_the_stacks_own():
    windows = {"scan": STACK["maintenanceWindows"]["scan"]}
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["scan"]}}
    one_region = {**STACK, "maintenanceWindows": windows, "patchGroups": groups}
    del one_region["regions"]
    (only,) = layout.regions(validate(one_region, "acme"))
    assert only.region is None and only.primary and only.region_or("ap-south-1") == "ap-south-1"
    assert only.windows == ("scan",)
    assert only.window_name("scan") == "acme-scan"
