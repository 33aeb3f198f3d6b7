"""patching_components.testing: users' own programs tested offline in three lines, and help()
on every component showing its args (with their docstrings) and outputs."""

import asyncio
import contextvars
import pydoc

import pulumi
import pytest
from docs_pages import docs_text

import patching_components
from conftest import ROOT
from patching_components import ConfigError, PatchingIam, PatchWindow, SecurityBaseline
from patching_components.testing import PatchingMocks, ProgramError, run

EXAMPLE = ROOT / "examples" / "existing-fleet"


def fleet() -> None:
    iam = PatchingIam("fleet", {"patch_groups": ["web"]})
    SecurityBaseline("al2023", {"operating_system": "AMAZON_LINUX_2023", "patch_groups": ["web"]})
    PatchWindow(
        "sunday",
        {
            "schedule": "cron(0 3 ? * SUN *)",
            "duration_hours": 3,
            "cutoff_hours": 1,
            "operation": "Install",
            "patch_groups": ["web"],
            "service_role_arn": iam.maintenance_window_role_arn,
        },
    )
    pulumi.export("role", iam.maintenance_window_role_arn)


def test_a_program_directory_runs_with_its_lookups_answered():
    program = run(EXAMPLE)
    components = [r for r in program.resources if not r.custom]
    assert sorted(r.type for r in components) == [
        "patching-components:index:PatchWindow",
        "patching-components:index:PatchingIam",
        "patching-components:index:SecurityBaseline",
    ]
    # The components looked up account and partition: the role ARNs carry the mocked ones.
    (task,) = program.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["serviceRoleArn"] == "arn:aws:iam::123456789012:role/fleet-maintenance-window-mock"
    assert program.outputs == {"instanceProfile": "fleet-instance-mock"}
    iam = program.named("fleet", "patching-components:index:PatchingIam")
    assert {r.type for r in program.children_of(iam)} >= {
        "aws:iam/role:Role",
        "aws:iam/instanceProfile:InstanceProfile",
    }


def test_a_function_runs_in_the_account_partition_and_region_asked_for():
    program = run(
        fleet, config={"aws:region": "cn-north-1"}, account_id="210987654321", partition="aws-cn", stack="prod"
    )
    assert program.outputs == {"role": "arn:aws-cn:iam::210987654321:role/fleet-maintenance-window-mock"}
    (window,) = program.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert window.region == "cn-north-1"
    # The same program again: nothing is shared between runs (no duplicate URN, same result).
    assert sorted(r.urn for r in run(fleet, stack="prod").resources) == sorted(r.urn for r in program.resources)


def test_a_bad_argument_fails_the_run_with_the_components_error():
    def misspelt() -> None:
        SecurityBaseline("al2023", {"operating_system": "AMAZON_LINUX_2023", "aprove_after_days": 3})  # type: ignore[typeddict-unknown-key]

    with pytest.raises(ProgramError) as failure:
        run(misspelt)
    assert isinstance(failure.value.error, ConfigError)
    assert "aprove_after_days" in str(failure.value) and "approve_after_days" in str(failure.value)
    assert failure.value.resources == []  # checked before anything was registered


def test_the_programs_own_lookups_are_answered_or_named():
    def with_vpc() -> None:
        import pulumi_aws as aws

        vpc = aws.ec2.get_vpc_output(default=True)
        pulumi.export("vpc", vpc.id)

    with pytest.raises(ProgramError) as failure:
        run(with_vpc)
    assert "no mock answer for invoke aws:ec2/getVpc:getVpc: pass invokes=" in str(failure.value)
    answered = run(with_vpc, invokes={"aws:ec2/getVpc:getVpc": lambda args: {"id": "vpc-0abc", **args}})
    assert answered.outputs == {"vpc": "vpc-0abc"}


def test_a_directory_without_a_program_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no __main__\.py"):
        run(tmp_path)


def test_pulumis_own_mocks_pattern_works_with_patching_mocks():
    """``pulumi.runtime.set_mocks(PatchingMocks())`` and ``@pulumi.runtime.test``, as Pulumi's docs show."""

    def body() -> None:
        loop = asyncio.new_event_loop()  # as in a fresh test process (the runs above leave none set)
        asyncio.set_event_loop(loop)
        mocks = PatchingMocks(account_id="111122223333", region="us-east-2")
        pulumi.runtime.set_mocks(mocks, preview=False)
        iam = PatchingIam("fleet", {"patch_groups": ["web"]})

        @pulumi.runtime.test
        def check():
            def role_is_in_the_account(arn):
                assert arn == "arn:aws:iam::111122223333:role/fleet-maintenance-window-mock"

            return iam.maintenance_window_role_arn.apply(role_is_in_the_account)

        check()
        assert ("aws:iam/role:Role", "fleet-instance") in [(t, n) for t, n, _ in mocks.resources]
        asyncio.set_event_loop(None)
        loop.close()

    contextvars.Context().run(body)  # Pulumi's settings stay out of the other tests


# -- help() ---------------------------------------------------------------------------------------

COMPONENTS = [
    getattr(patching_components, name)
    for name in patching_components.__all__
    if isinstance(getattr(patching_components, name), type)
    and issubclass(getattr(patching_components, name), pulumi.ComponentResource)
]


def help_text(component: type) -> str:
    return pydoc.render_doc(component, renderer=pydoc.plaintext)


def test_every_component_is_documented():
    assert {c.__name__ for c in COMPONENTS} == {
        "ChangeFreezeGuard",
        "CircuitBreaker",
        "CustomerPatching",
        "GoldenAmiPipeline",
        "PatchNotices",
        "PatchReporting",
        "PatchWindow",
        "PatchingIam",
        "SecurityBaseline",
        "WindowCatchUp",
    }


def test_help_shows_a_components_args_with_their_docstrings_and_its_outputs():
    text = help_text(SecurityBaseline)
    assert "A patch baseline that approves security updates only" in text  # its own docstring first
    assert "Args (``args``, a dict of type SecurityBaselineArgs):" in text
    assert (
        " |      operating_system: str, required\n"
        " |          The OS the baseline applies to; changing it replaces the baseline." in text
    )
    assert " |      patch_groups: Sequence[str]\n |          Patch group names (instance tag values)" in text
    assert " |      baseline_id: pulumi.Output[str]\n |          ID of the patch baseline." in text
    window = help_text(PatchWindow)
    assert "HooksSettings (a dict inside the args):" in window  # nested dicts are listed too
    assert " |      pre_install: str\n |          Runs before patches are installed" in window


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_help_lists_every_arg_and_every_output(component):
    import inspect

    text = help_text(component)
    assert "args and outputs not shown" not in text
    args = inspect.signature(component.__init__).parameters["args"].annotation
    args = getattr(inspect.getmodule(component), args) if isinstance(args, str) else args
    for key in args.__annotations__:
        assert f" |      {key}: " in text, f"{component.__name__} help() lacks the arg {key}"
    outputs = [name for name, kind in inspect.get_annotations(component).items() if "Output" in str(kind)]
    assert outputs, component
    for name in outputs:
        assert f" |      {name}: pulumi.Output[" in text, f"{component.__name__} help() lacks the output {name}"


def test_the_readme_shows_the_example_test_as_it_runs():
    code = (EXAMPLE / "test_existing_fleet.py").read_text().split('"""\n\n', 1)[1]
    assert f"```python\n{code}```" in docs_text("own-program.md")
