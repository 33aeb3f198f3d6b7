"""docs/assets/report-example.html: the real HTML report, `patching report --format html` run by the CLI on
the account tests/test_report.py reads (tests/report_fixture.py's hand-written AWS responses for acme, served
through botocore's Stubber by test_report.StubbedAccount), on the fixture's frozen clock (fixture.NOW)."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = "tests/data/acme-before-rings/Pulumi.acme.yaml"
"""test_report.ACME, relative: the report names its stack file, and the page must not name this checkout's path."""


def render() -> str:
    for path in (str(ROOT), str(ROOT / "tests")):  # the tests' own modules, as pytest finds them
        if path not in sys.path:
            sys.path.insert(0, path)
    import pytest
    import report_fixture as fixture
    import test_report
    import time_machine
    from aws_stubs import use_account

    from patching_components.tools import cli

    assert ROOT / STACK == test_report.ACME
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, time_machine.travel(fixture.NOW, tick=False):
        patch.chdir(ROOT)
        account = test_report.StubbedAccount()
        use_account(patch, account)
        with contextlib.redirect_stdout(out):
            code = cli.main(["report", STACK, "--format", "html"])
        account.assert_all_called()
    if code != 3:  # the fixture's account has non-compliant nodes and gaps: exit 3
        raise RuntimeError(f"patching report exited {code}, not 3")
    return out.getvalue()
