"""A seeded generator of distinct, realistic stack files: what an MSP's fleet of customers writes.

Every stack is its own customer with its own mix: one to three regions (a window may be limited
to some of them), its own time zone (most with daylight saving), one to four baselines, a nightly
or weekly scan and one to three install windows (weekly, the n-th weekday of the month with an
offset after Patch Tuesday, the last day of the month), patch groups sharing those windows
(each group has a scan and an install window, some two installs), sometimes change freezes, a
golden AMI pipeline, hooks. The same seed gives the same files, byte for byte.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml

REGION_SETS = (
    ("eu-west-1",),
    ("us-east-1",),
    ("eu-central-1",),
    ("us-east-1", "us-west-2"),
    ("eu-west-1", "eu-central-1"),
    ("ap-southeast-2", "ap-northeast-1"),
    ("us-east-1", "eu-west-1", "ap-southeast-1"),
    ("eu-west-1", "eu-west-2", "eu-central-1"),
)
ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "UTC",
)
BASELINES = (
    {"operatingSystem": "AMAZON_LINUX_2023", "approveAfterDays": 7, "severities": ["Critical", "Important"]},
    {"operatingSystem": "AMAZON_LINUX_2023", "approveAfterDays": 10, "severities": ["Critical", "Important", "Medium"]},
    {"operatingSystem": "UBUNTU", "complianceLevel": "HIGH"},
    {"operatingSystem": "WINDOWS", "approveAfterDays": 7, "classifications": ["SecurityUpdates", "CriticalUpdates"]},
    {"operatingSystem": "REDHAT_ENTERPRISE_LINUX", "approveAfterDays": 14},
    {"operatingSystem": "SUSE", "approveAfterDays": 14},
    {"operatingSystem": "DEBIAN"},
)
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
TIERS = ("web", "api", "workers", "db", "batch", "cache", "files", "jump", "etl", "search", "queue", "edge")


def _scan(rng: random.Random, zone: str, regions: tuple[str, ...]) -> dict[str, Any]:
    minute, hour = rng.choice((0, 15, 30, 45)), rng.randrange(5, 8)
    days = rng.choice(("MON-SAT", "MON-FRI", "*", "SUN"))
    window: dict[str, Any] = {
        "schedule": f"cron({minute} {hour} ? * {days} *)",
        "timezone": zone,
        "durationHours": rng.choice((1, 2)) + 1,
        "cutoffHours": 1,
        "operation": "Scan",
    }
    return window


def _install(rng: random.Random, zone: str, regions: tuple[str, ...]) -> dict[str, Any]:
    minute, hour = rng.choice((0, 0, 30)), rng.choice((19, 20, 21, 22, 23))
    kind = rng.randrange(4)
    window: dict[str, Any] = {"timezone": zone, "operation": "Install"}
    if kind == 0:
        window["schedule"] = f"cron({minute} {hour} ? * {rng.choice(DAYS)} *)"
    elif kind == 1:
        window["schedule"] = f"cron({minute} {hour} ? * TUE#2 *)"
        window["scheduleOffset"] = rng.randrange(1, 7)
    elif kind == 2:
        window["schedule"] = f"cron({minute} {hour} ? * {rng.choice(DAYS)}#{rng.randrange(1, 5)} *)"
    else:
        window["schedule"] = f"cron({minute} {hour} L * ? *)"
    duration = rng.randrange(3, 7)
    window |= {"durationHours": duration, "cutoffHours": rng.choice((1, 2))}
    window |= {"maxConcurrency": rng.choice(("25%", "50%", "2", "10%")), "maxErrors": rng.choice(("1", "10%", "0"))}
    if rng.random() < 0.3:
        window["rebootOption"] = "NoReboot"
    if len(regions) > 1 and rng.random() < 0.25:
        window["regions"] = sorted(rng.sample(regions, rng.randrange(1, len(regions))), key=regions.index)
    return window


def stack(index: int, seed: int = 0) -> dict[str, Any]:
    """The ``index``-th customer's stack file (a ``config:`` mapping), the same for the same seed."""
    rng = random.Random(f"{seed}-{index}")
    customer = f"{rng.choice(('acme', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay'))}{index:05d}"
    regions = rng.choice(REGION_SETS)
    zone = rng.choice(ZONES)
    config: dict[str, Any] = {"aws:region": regions[0], "patching:customer": customer}
    if len(regions) > 1:
        config["patching:regions"] = list(regions)
    config["patching:tags"] = {
        "Owner": rng.choice(("msp-ops", "platform")),
        "CostCenter": str(rng.randrange(1000, 9999)),
    }
    baselines = {}
    for template in rng.sample(BASELINES, rng.randrange(1, 5)):
        key = template["operatingSystem"].lower().replace("_", "-")
        baselines[key if key not in baselines else f"{key}-2"] = dict(template)
    windows = {"nightly-scan": _scan(rng, zone, regions)}
    for number in range(rng.randrange(1, 4)):
        windows[f"install-{number + 1}"] = _install(rng, zone, regions)
    installs = [key for key in windows if key.startswith("install")]
    groups = {}
    for number, tier in enumerate(rng.sample(TIERS, rng.randrange(len(installs), 9))):
        chosen = [installs[number] if number < len(installs) else rng.choice(installs)]
        if len(installs) > 1 and rng.random() < 0.3:
            chosen = sorted({chosen[0], rng.choice([i for i in installs if i != chosen[0]])})
        groups[f"{customer}-{tier}"] = {
            "baselines": [rng.choice(sorted(baselines))],
            "maintenanceWindows": ["nightly-scan", *chosen] if number == 0 or rng.random() < 0.85 else chosen,
        }
    config["patching:baselines"] = baselines
    config["patching:maintenanceWindows"] = windows
    config["patching:patchGroups"] = groups
    config["patching:logging"] = {"s3Bucket": "create", "s3Prefix": "patching", "retentionDays": 180}
    config["patching:notifications"] = {"emails": [f"ops@{customer}.example"]}
    if rng.random() < 0.4:
        year = 2027 + rng.randrange(2)
        config["patching:changeFreezes"] = {
            "year-end": {"start": f"{year}-12-20", "end": f"{year + 1}-01-04", "timezone": zone},
        }
    linux = next((g for g, c in groups.items() if baselines[c["baselines"][0]]["operatingSystem"] != "WINDOWS"), None)
    if linux is not None and rng.random() < 0.3:
        config["patching:goldenAmis"] = {
            "base": {
                "platform": "Linux",
                "sourceAmiParameter": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                "instanceType": "t3.small",
                "subnetId": f"subnet-{rng.getrandbits(68):017x}",
                "patchGroup": linux,
                "schedule": f"cron(0 4 ? * {rng.choice(DAYS)}#1 *)",
                "timezone": zone,
                "keepLatest": 3,
            }
        }
    return config


def write(directory: Path, count: int, seed: int = 0) -> list[Path]:
    """``count`` distinct stack files ``Pulumi.<customer>.yaml`` in ``directory``."""
    paths = []
    for index in range(count):
        config = stack(index, seed)
        path = directory / f"Pulumi.{config['patching:customer']}.yaml"
        path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths
