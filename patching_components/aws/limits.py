"""AWS's limits and naming rules that the config model checks, written once.

``tests/test_aws_limits.py`` compares each with botocore's service models (the
authority on API shapes); botocore is a test dependency only, so the EC2
instance types and the regions are shipped as lists generated from its model
and its endpoint data (``python -m patching_components.aws.limits`` rewrites them).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from importlib import resources

MAX_RATE_CONTROL_LENGTH = 7
"""MaxConcurrency and MaxErrors of a maintenance window task."""
MAX_OUTPUT_S3_KEY_PREFIX = 500
"""OutputS3KeyPrefix of a Run Command task."""
MAX_DATA_SYNC_S3_PREFIX = 256
"""A Resource Data Sync's S3Destination Prefix (ResourceDataSyncS3Prefix)."""
RESERVED_LOG_GROUP_PREFIX = "aws/"
"""CreateLogGroup: "Log group names can't start with the string aws/" (``/aws/...`` is allowed)."""
PATCH_SOURCE_NAME_LENGTHS = (3, 50)
"""A baseline's Sources[].Name."""
MAX_INLINE_POLICIES_PER_ROLE = 10_240
"""IAM: the aggregate size of a role's inline policies, in characters without whitespace."""

MAX_DOCUMENT_CONTENT_BYTES = 64_000
"""CreateDocument's Content: "must not exceed 64KB" (botocore's documentation of the member; the
model sets no max), read strictly (64,000 bytes, not 65,536: the stricter reading cannot be
refused), e.g. a Change Calendar with one event per change freeze."""
UTF16_LENGTH_FIELDS = (
    "patchGroups keys (PatchGroup, 256)",
    "tags (TagKey 128, TagValue 256)",
    "window descriptions (128)",
)
"""Lengths checked in UTF-16 code units. AWS's models give these maxima without saying how a
character beyond U+FFFF counts (its services run on Java, whose strings count UTF-16 units); the
stricter count cannot be refused, so a letter such as U+1D400 counts 2 here."""


def utf16_length(text: str) -> int:
    """A length in UTF-16 code units: a character beyond U+FFFF counts 2."""
    return len(text.encode("utf-16-le")) // 2


_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(name: str) -> str | None:
    """What S3's general purpose bucket naming rules say against a name (3-63 characters,
    lower-case letters, digits, '.' and '-' are the pattern's), or None."""
    if ".." in name:
        return "S3 bucket names cannot contain two adjacent periods"
    try:
        ipaddress.IPv4Address(name)
        return "S3 bucket names cannot be formatted as an IP address"
    except ValueError:
        pass
    for prefix in _BUCKET_PREFIXES:
        if name.startswith(prefix):
            return f"S3 reserves bucket names starting with {prefix!r}"
    for suffix in _BUCKET_SUFFIXES:
        if name.endswith(suffix):
            return f"S3 reserves bucket names ending with {suffix!r}"
    return None


LISTS_DATE = "2026-12-01"
"""When the shipped lists of EC2 instance types and regions were generated from botocore (written
by ``python -m patching_components.aws.limits``): AWS launches more after it."""

REGION_PATTERN = re.compile(
    r"[a-z]{2,4}(-(gov|iso[a-z]?|[a-z]{2}))?-(north|south|east|west|central|northeast|northwest|southeast|southwest)"
    r"-[1-9][0-9]?"
)
"""How AWS names a region (``eu-west-1``, ``us-gov-east-1``, ``us-isob-east-1``, ``eusc-de-east-1``):
one AWS launches after the shipped list is only a warning; anything else (``eu-west-1a``,
``EU-WEST-1``, ``eu-wset-1``) is not a region. Matched whole (``fullmatch``)."""

INSTANCE_TYPE_PATTERN = re.compile(
    r"([a-z]+[0-9]+[a-z0-9]*(-[a-z0-9]+)?|[a-z]+-[a-z0-9]+)"
    r"\.(nano|micro|small|medium|large|[1-9][0-9]*xlarge|xlarge|metal(-[1-9][0-9]*xl)?)"
)
"""How EC2 names an instance type: family (generation digit, attributes, an option after '-') '.'
size (``t3.medium``, ``m7i-flex.2xlarge``, ``u7i-12tb.224xlarge``, ``c7gd.metal``). Matched whole."""

_PARTITION_MARKS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-iso-", "aws-iso"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("eusc-", "aws-eusc"),
)


@functools.cache
def instance_types() -> frozenset[str]:
    """EC2's instance types (the InstanceType enum of botocore's EC2 model, when generated)."""
    text = resources.files("patching_components").joinpath("data/ec2-instance-types.txt").read_text()
    return frozenset(text.split())


@functools.cache
def regions() -> dict[str, str]:
    """Every AWS region, with its partition (botocore's endpoint data, when generated)."""
    text = resources.files("patching_components").joinpath("data/aws-regions.txt").read_text()
    pairs = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {region: partition for partition, region in pairs}


def partition_of(region: str) -> str:
    """A region's partition: the shipped list's, else read from its name as AWS names them
    (``us-gov-`` is aws-us-gov, ``cn-`` aws-cn ...; the others are aws)."""
    known = regions().get(region)
    if known is not None:
        return known
    return next((partition for prefix, partition in _PARTITION_MARKS if region.startswith(prefix)), "aws")


def _write_data() -> None:
    import pathlib

    import botocore.loaders
    import botocore.session

    data = pathlib.Path(__file__).parent.parent / "data"
    model = botocore.session.get_session().get_service_model("ec2")
    path = data / "ec2-instance-types.txt"
    path.write_text("\n".join(sorted(model.shape_for("InstanceType").enum)) + "\n")
    print(f"wrote {path}")
    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    lines = [f"{p['partition']} {region}" for p in partitions for region in sorted(p["regions"])]
    path = data / "aws-regions.txt"
    path.write_text("# partition region (botocore's endpoints.json)\n" + "\n".join(lines) + "\n")
    print(f"wrote {path}")
    import datetime

    source = pathlib.Path(__file__)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    source.write_text(re.sub(r'^LISTS_DATE = ".*"$', f'LISTS_DATE = "{today}"', source.read_text(), flags=re.M))
    print(f"LISTS_DATE = {today!r} in {source}")


if __name__ == "__main__":
    _write_data()
