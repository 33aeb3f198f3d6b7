"""`patching report` on a later ring whose override object lacks the metadata the promotion runbook and the
program always write (``cutoffs``, ``source-execution``: patching_components/components/ring_promotion.py and
documents/ring-promotion.yaml): end to end against the AWS stand-in, acme's plan deployed as
tests/test_promote_e2e.py deploys it, the object then rewritten by hand without that metadata. Neither the cut-off
nor whether the ring was ever promoted can be told: a ``ring-cutoff-unknown`` gap in every format, no ring row,
and the report is not compliant."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine

from patching_components.tools import cli
from tests.test_promote_e2e import ACME, NOW, deployed

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("metadata", "lacking"),
    [
        ({"ring": "prod", "source-execution": "none"}, "cutoffs"),
        ({"ring": "prod", "cutoffs": "AMAZON_LINUX_2023=2026-12-01"}, "source-execution"),
        ({}, "cutoffs or source-execution"),
    ],
)
def test_an_override_without_its_metadata_is_a_gap_in_every_format(aws, capsys, tmp_path, metadata, lacking):
    _, s3, key = deployed(aws)
    body = s3.get_object(Bucket="acme-logs-mock", Key=key)["Body"].read()
    s3.put_object(Bucket="acme-logs-mock", Key=key, Body=body, Metadata=metadata)
    outs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("json", "md", "csv", "html")}
    with time_machine.travel(NOW, tick=False):
        code = cli.main(["report", str(ACME), *(f"--out={path}" for path in outs.values())])
    capsys.readouterr()
    assert code != 0
    detail = f"ring prod: s3://acme-logs-mock/{key} has no {lacking} metadata"
    data = json.loads(outs["json"].read_text())
    assert "rings" not in data  # no cut-off shown for a ring nobody can read
    assert [(g["resource"], g["detail"]) for g in data["gaps"] if g["kind"] == "ring-cutoff-unknown"] == [
        ("acme-ring-prod-promotion", detail)
    ]
    assert f"| eu-west-1 | acme-ring-prod-promotion | ring-cutoff-unknown | {detail} |" in outs["md"].read_text()
    rows = [r for r in csv.reader(io.StringIO(outs["csv"].read_text())) if "ring-cutoff-unknown" in r]
    assert len(rows) == 1 and rows[0][0] == "gap" and detail in rows[0]
    html = outs["html"].read_text()
    assert "ring-cutoff-unknown" in html and detail in html
