"""`patching patch-now --stop-on-alarm NAME`: SendCommand's AlarmConfiguration, sent exactly (botocore's Stubber
checks the request against the SSM model). AWS: AlarmConfiguration holds exactly one alarm and, with
IgnorePollAlarmFailure false (its default), stops the command also when the alarm cannot be read
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AlarmConfiguration.html)."""

import json

from test_patch_now import ACME, ACME_INSTALL, ACME_REQUEST, OVERRIDE, use

from patching_components.tools import cli

STOP = {"Alarms": [{"Name": "acme-web-5xx-errors"}], "IgnorePollAlarmFailure": False}


def test_the_alarm_goes_into_the_request(monkeypatch, capsys):
    command = {"CommandId": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "DocumentName": "AWS-RunPatchBaseline"}
    request = {**ACME_REQUEST, "AlarmConfiguration": STOP}
    account = use(monkeypatch, [*ACME_INSTALL, ("send_command", request, {"Command": command})], "eu-west-1")
    assert cli.main(["patch-now", str(ACME), *OVERRIDE, "--stop-on-alarm", "acme-web-5xx-errors", "--yes"]) == 0
    account.assert_all_called()


def test_dry_run_shows_it(monkeypatch, capsys):
    use(monkeypatch, ACME_INSTALL, "eu-west-1")
    assert cli.main(["patch-now", str(ACME), *OVERRIDE, "--stop-on-alarm", "acme-web-5xx-errors", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("[") :])[0]["SendCommand"]["AlarmConfiguration"] == STOP


def test_two_alarms_are_refused_before_any_call(monkeypatch, capsys):
    account = use(monkeypatch, [], "eu-west-1")
    argv = ["patch-now", str(ACME), "--stop-on-alarm", "a", "--stop-on-alarm", "b", "--yes"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "--stop-on-alarm: SendCommand takes 1 alarm (AlarmConfiguration), 2 given" in err
    assert account.requests == []


def test_a_name_cloudwatch_refuses_is_a_usage_error(capsys):
    try:
        cli.main(["patch-now", str(ACME), "--stop-on-alarm", "x" * 256, "--dry-run"])
    except SystemExit as exit:
        assert exit.code == 2
    assert "an alarm name has 1-255 characters (this one: 256)" in capsys.readouterr().err
