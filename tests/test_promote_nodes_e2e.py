"""`patching promote` end to end against the AWS stand-in (tests/moto_aws.py): a node of dev tagged with its
patch group that never reported the install refuses the promotion and is named; ``--force`` accepts it.
acme's plan deployed as tests/test_promote_e2e.py does it; the instance is moto's own. Clock frozen."""

from __future__ import annotations

import boto3
import pytest
import time_machine
from test_promote_e2e import ACME, NOW, REGION, deployed, override

from patching_components.tools import cli

pytestmark = pytest.mark.slow


def silent_dev_node() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    (instance,) = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Patch Group", "Value": "acme-dev"}]}],
    )["Instances"]
    return str(instance["InstanceId"])


def test_promote_refuses_while_a_dev_node_has_no_patch_state_and_force_accepts_it(aws, capsys):
    _, s3, key = deployed(aws)  # dev's two seeded nodes reported a good install
    silent = silent_dev_node()
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["promote", str(ACME), "--ring", "prod"]) == 4
        out = capsys.readouterr().out
        assert f"refused: {silent} (acme-dev, running) has no patch state: it did not report the install" in out
        assert override(s3, key)[1]["source-execution"] == "none"  # nothing written
        assert cli.main(["promote", str(ACME), "--ring", "prod", "--force"]) == 0
    assert override(s3, key)[1]["forced"] == "true"
    assert aws.layer.calls  # the stand-in answered the patch states from its fixture layer
