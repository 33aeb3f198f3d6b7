"""`patching report` on a node the catch-up runbook patched as it started: "caught up on start <time>", end to
end against the account stand-in of tests/test_report_aws.py (moto + the documented fixture layer)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests import report_setup as r
from tests.deploy_plan import deploy

# -- what patching report says of a node it caught up -------------------------------------------------


@pytest.mark.slow  # seconds of moto (tests/test_report_aws.py's stand-in): .ci/run runs it with -m slow
def test_the_report_says_caught_up_on_start_for_a_node_the_runbook_marked(aws, stacks, capsys):
    names: dict[str, str] = {}
    session = r.session_in(r.FABRIKAM)
    done = deploy(stacks["fabrikam"], aws, session=session)
    fleet = r.Fleet(aws, session, r.FABRIKAM, "us-east-1", names)
    (node_id,) = fleet.launch("late", "fabrikam-web")
    # The catch-up runbook's mark (markCaughtUp: the time it decided, ISO 8601 UTC), as CreateTags leaves it.
    fleet.ec2.create_tags(Resources=[node_id], Tags=[{"Key": "PatchingCaughtUp", "Value": "2026-11-30T08:12:00Z"}])
    fleet.managed([node_id])
    baseline = done.id_of("fabrikam-al2023")
    names[baseline] = "pb-fab"
    fleet.patch_state([node_id], "fabrikam-web", baseline, "2026-11-30T08:40", op="Install")
    _, data, _ = r.run_report(capsys, stacks["fabrikam"], names)  # exit 1: its window never ran (a gap)
    (reported,) = data["nodes"]
    assert reported["caughtUpOnStart"] == "2026-11-30T08:12:00+00:00"
    assert (reported["status"], reported["reason"]) == ("compliant", "caught up on start 2026-11-30 08:12Z")


def test_the_report_reads_the_mark_and_ignores_one_that_is_not_a_time():
    from patching_components.tools.report_nodes import caught_up_on_start

    assert caught_up_on_start({"PatchingCaughtUp": "2026-11-30T08:12:00Z"}) == datetime(2026, 11, 30, 8, 12, tzinfo=UTC)
    assert caught_up_on_start({}) is None
    assert caught_up_on_start({"PatchingCaughtUp": "yesterday"}) is None
    assert caught_up_on_start({"PatchingCaughtUp": "2026-11-30T08:12:00"}) is None  # no zone: not ours


stacks = r.contoso_and_fabrikam  # the stack files of tests/test_report_aws.py (the fixture)
