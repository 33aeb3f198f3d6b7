"""``patching report``: per later patch ring and region, the cut-off in force (patching:rings).

A later ring installs with the BaselineOverride object its promotion runbook writes (patching_components.rings).
The report reads the runbook's parameter defaults (``GetDocument``: the log bucket and the object's key as
deployed) and the object's metadata (``HeadObject``: the cut-off per operating system, the previous ring's
window execution it came from, its install day, whether an operator forced it). What cannot be read, and an
object without its ``cutoffs`` or ``source-execution`` metadata, is a gap (``ring-cutoff-unknown``): a ring whose
cut-off nobody can see is not reported as fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .report_model import RingCutoff

if TYPE_CHECKING:
    from .report_model import RegionRead

RING_REPORT_ACTIONS = ("ssm:GetDocument", "s3:GetObject")
"""The report's calls for the rings (HeadObject is s3:GetObject), granted by the operator policy on the rings'
runbooks and override objects only (iam_policies.ring_report_statements)."""


def rings(read: RegionRead) -> None:
    """The cut-off in force of each later ring whose install windows the stack builds in the region."""
    config = read.config
    if not config.rings or config.mode != "install":
        return
    import yaml

    from .. import layout
    from ..config.rings import install_windows

    for index in range(1, len(config.rings)):
        ring, previous = config.rings[index], config.rings[index - 1]
        if not [k for k in install_windows(config, ring.patch_groups) if k in read.layout.windows]:
            continue
        document = layout.ring_promotion_document_name(config.customer, ring.name, read.layout.named_region)
        try:
            content = read.ssm.get_document(Name=document, DocumentFormat="YAML")["Content"]
            defaults = {k: v.get("default") for k, v in yaml.safe_load(content)["parameters"].items()}
            bucket, key = defaults["Bucket"], defaults["OverrideKey"]
            meta = read.clients("s3", read.region).head_object(Bucket=bucket, Key=key).get("Metadata", {})
        except Exception as error:
            read.gap(document, "ring-cutoff-unknown", f"ring {ring.name}: cannot read its override: {error}")
            continue
        # The runbook and the program always write both: an object without them (written by hand, or its
        # metadata lost in a copy) tells neither the cut-off nor whether it was ever promoted.
        lacking = [name for name in ("cutoffs", "source-execution") if name not in meta]
        if lacking:
            why = f"s3://{bucket}/{key} has no {' or '.join(lacking)} metadata"
            read.gap(document, "ring-cutoff-unknown", f"ring {ring.name}: {why}")
            continue
        source = meta["source-execution"]
        read.report.rings.append(
            RingCutoff(
                region=read.region,
                ring=ring.name,
                previous_ring=previous.name,
                patch_groups=list(ring.patch_groups),
                cutoffs=meta["cutoffs"],
                source_execution=None if source == "none" else source,
                install_day=meta.get("install-day"),
                forced=meta.get("forced") == "true",
                override=f"s3://{bucket}/{key}",
            )
        )
