"""The Automation document validator, on the packaged templates and on broken documents."""

import copy

import pytest

from patching_components.aws.automation_doc import document_issues
from patching_components.components.golden_ami import template


@pytest.mark.parametrize("platform", ["Linux", "Windows"])
def test_templates_pass(platform):
    assert document_issues(template(platform)) == []


def step(doc, name):
    return next(s for s in doc["mainSteps"] if s["name"] == name)


def undeclared_parameter(doc):
    step(doc, "launchBuildInstance")["inputs"]["InputPayload"]["InstanceType"] = "{{ BuildInstanceType }}"


def later_step_output(doc):
    step(doc, "launchBuildInstance")["inputs"]["InputPayload"]["ImageId"] = "{{ createImage.ImageId }}"


def unknown_output(doc):
    step(doc, "publishAmiId")["inputs"]["Value"] = "{{ createImage.AmiId }}"


def dangling_on_failure(doc):
    step(doc, "stopBuildInstance")["onFailure"] = "step:cleanup"


def dangling_next_step(doc):
    step(doc, "stopBuildInstance")["nextStep"] = "snapshot"


def failure_aborts_after_launch(doc):
    step(doc, "installSecurityPatches")["onFailure"] = "Abort"


def cancel_not_handled(doc):
    del step(doc, "waitForManagedInstance")["onCancel"]


def continue_into_the_end(doc):
    doc["mainSteps"] = [s for s in doc["mainSteps"] if s["name"] != "terminateBuildInstance"]
    step(doc, "createImage")["nextStep"] = "deregisterOldImages"
    step(doc, "createImage")["onFailure"] = "Continue"


def no_terminate_at_all(doc):
    doc["mainSteps"] = [
        s
        for s in doc["mainSteps"]
        if s["inputs"].get("DesiredState") != "terminated" and s["name"] != "cleanUpAfterFailure"
    ]
    for s in doc["mainSteps"]:
        s.pop("onFailure", None)
        s.pop("onCancel", None)


def unknown_action(doc):
    step(doc, "stopBuildInstance")["action"] = "aws:stopInstances"


def schema_version(doc):
    doc["schemaVersion"] = "2.2"


def loop(doc):
    step(doc, "stopBuildInstance")["nextStep"] = "installSecurityPatches"


def duplicate_name(doc):
    step(doc, "waitForImage")["name"] = "createImage"


def unknown_variable(doc):
    step(doc, "verifyNoMissingPatches")["inputs"]["InputPayload"]["Day"] = "{{ global:TODAY }}"


def launch_retried(doc):
    step(doc, "launchBuildInstance")["maxAttempts"] = 3


def launch_without_client_token(doc):
    del step(doc, "launchBuildInstance")["inputs"]["InputPayload"]["ClientToken"]


def image_not_tagged_at_creation(doc):
    create = step(doc, "createImage")
    create["action"] = "aws:createImage"
    create["inputs"] = {"InstanceId": "{{ launchBuildInstance.InstanceId }}", "ImageName": "{{ TargetAmiName }}"}


def unpublished_image_abandoned(doc):
    step(doc, "publishAmiId")["onFailure"] = "Abort"


def clean_up_keeps_snapshots(doc):
    cleanup = step(doc, "cleanUpAfterFailure")["inputs"]
    cleanup["Script"] = cleanup["Script"].replace("ec2.delete_snapshot(SnapshotId=snapshot_id)", "pass")


def snapshots_left_to_a_new_botocore(doc):
    cleanup = step(doc, "cleanUpAfterFailure")["inputs"]
    cleanup["Script"] = cleanup["Script"].replace(
        'ec2.deregister_image(ImageId=image["ImageId"])',
        'ec2.deregister_image(ImageId=image["ImageId"], DeleteAssociatedSnapshots=True)',
    )


def clean_up_not_by_this_execution(doc):
    del step(doc, "cleanUpAfterFailure")["inputs"]["InputPayload"]["ExecutionId"]


def bad_parameter_type(doc):
    doc["parameters"]["KeepLatest"]["type"] = "Number"


def undeclared_assume_role(doc):
    doc["assumeRole"] = "{{ AssumeRole }}"


BROKEN = [
    (undeclared_parameter, "step 'launchBuildInstance': {{ BuildInstanceType }} is not a declared parameter"),
    (
        later_step_output,
        "step 'launchBuildInstance': {{ createImage.ImageId }} names 'createImage', which is not an earlier step",
    ),
    (unknown_output, "step 'publishAmiId': {{ createImage.AmiId }}: step 'createImage' has no output 'AmiId'"),
    (dangling_on_failure, "step 'stopBuildInstance': goes to 'cleanup', which is not a step"),
    (dangling_next_step, "step 'stopBuildInstance': goes to 'snapshot', which is not a step"),
    (
        failure_aborts_after_launch,
        "step 'installSecurityPatches': its failure path ends the execution without terminating the instance "
        "launched by 'launchBuildInstance'; send it to a step that terminates it",
    ),
    (cancel_not_handled, "step 'waitForManagedInstance': its cancel path ends the execution without terminating"),
    (continue_into_the_end, "step 'deregisterOldImages': its success path ends the execution without terminating"),
    (no_terminate_at_all, "step 'launchBuildInstance': no step terminates the instance this step launches"),
    (unknown_action, "step 'stopBuildInstance': unknown action 'aws:stopInstances'"),
    (schema_version, "schemaVersion must be '0.3' for Automation, got '2.2'"),
    (
        loop,
        "steps loop without end: installSecurityPatches -> verifyNoMissingPatches -> stopBuildInstance -> "
        "installSecurityPatches",
    ),
    (duplicate_name, "step 'createImage': the name is used by two steps"),
    (unknown_variable, "step 'verifyNoMissingPatches': unknown system variable {{ global:TODAY }}"),
    (launch_retried, "step 'launchBuildInstance': maxAttempts > 1 on a launch can leave the first attempt's instance"),
    (
        launch_without_client_token,
        "step 'launchBuildInstance': RunInstances without a ClientToken of the execution id can launch twice",
    ),
    (
        image_not_tagged_at_creation,
        "step 'createImage': the image and its snapshots must be tagged with the execution id as they are created",
    ),
    (
        unpublished_image_abandoned,
        "step 'publishAmiId': its failure path ends the execution before the image of 'createImage' is published, "
        "without deregistering it and its snapshots",
    ),
    (
        clean_up_keeps_snapshots,
        "step 'cleanUpAfterFailure': its failure path ends the execution before the image of 'createImage' is "
        "published, without deregistering it",
    ),
    (
        snapshots_left_to_a_new_botocore,
        "step 'cleanUpAfterFailure': DeregisterImage's DeleteAssociatedSnapshots needs a botocore from mid-2025",
    ),
    (
        clean_up_not_by_this_execution,
        "step 'cleanUpAfterFailure': its failure path ends the execution without terminating the instance launched",
    ),
    (bad_parameter_type, "parameter 'KeepLatest': type 'Number' is not one of"),
    (undeclared_assume_role, "{{ AssumeRole }} is not a declared parameter"),
]


@pytest.mark.parametrize(("breakage", "message"), BROKEN, ids=[b.__name__ for b, _ in BROKEN])
def test_broken_documents_fail_with_the_right_message(breakage, message):
    doc = copy.deepcopy(template("Linux"))
    breakage(doc)
    issues = [str(i) for i in document_issues(doc)]
    assert any(message in issue for issue in issues), issues
