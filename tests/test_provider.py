"""The component provider: the schema other languages get, and what their programs build."""

import inspect
import json
import re

import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema

from conftest import ROOT
from patching_components import __version__
from patching_components.components import _typegen
from patching_components.provider import COMPONENTS, PACKAGE
from patching_components.tools.engine import stack_file_config
from tests.engine import run_program, run_stack_file

YAML_PROGRAM = ROOT / "programs" / "yaml-customer" / "Pulumi.yaml"


@pytest.fixture(scope="module")
def provider() -> ComponentProvider:
    return ComponentProvider(COMPONENTS, PACKAGE, version=__version__)


@pytest.fixture(scope="module")
def schema() -> dict:
    """What Pulumi's analyzer infers from the components, as the package schema the provider serves."""
    analysis = Analyzer(PACKAGE).analyze(COMPONENTS)
    package = generate_schema(
        PACKAGE,
        __version__,
        None,
        analysis["component_definitions"],
        analysis["type_definitions"],
        sorted(analysis["dependencies"], key=lambda d: d.name),
    )
    return package.to_json()


def test_the_provider_serves_that_schema(provider, schema):
    assert json.loads(provider.schema) == schema


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def args_type(component: type) -> type:
    return inspect.get_annotations(component.__init__)["args"]


def output_names(component: type) -> list[str]:
    return [name for name in inspect.get_annotations(component) if not name.startswith("_")]


def test_the_plugin_manifest_and_entry_point_serve_these_components():
    assert yaml.safe_load((ROOT / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}
    entry = (ROOT / "__main__.py").read_text()
    assert "from patching_components.provider import main" in entry
    assert {c.__name__ for c in COMPONENTS} == {
        "PatchingIam",
        "SecurityBaseline",
        "PatchWindow",
        "PatchReporting",
        "GoldenAmiPipeline",
        "ChangeFreezeGuard",
        "PatchNotices",
        "CircuitBreaker",
        "CustomerPatching",
        "WindowCatchUp",
    }


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_every_arg_and_output_is_in_the_schema_typed_and_described(schema, component):
    resource = schema["resources"][f"patching-components:index:{component.__name__}"]
    assert resource["isComponent"] is True and resource["description"]
    args = args_type(component)
    assert set(resource["inputProperties"]) == {camel(key) for key in args.__annotations__}
    assert set(resource.get("requiredInputs", [])) == {camel(key) for key in args.__required_keys__}
    assert set(resource["properties"]) == {camel(name) for name in output_names(component)}
    for name, prop in [*resource["inputProperties"].items(), *resource["properties"].items()]:
        assert prop.get("description"), f"{component.__name__}.{name} has no description"
        assert "type" in prop or "$ref" in prop, f"{component.__name__}.{name} has no type"


def test_no_property_anywhere_is_untyped(schema):
    text = json.dumps(schema)
    assert "pulumi.json#/Any" not in text
    for token, definition in schema["types"].items():
        assert token.startswith("patching-components:index:")
        for name, prop in definition["properties"].items():
            assert prop.get("description"), f"{token}.{name} has no description"
            assert "type" in prop or "$ref" in prop, f"{token}.{name} has no type"
    for ref in re.findall(r'"\$ref": "#/types/([^"]+)"', text):
        assert ref in schema["types"]


def test_schema_types_are_what_other_languages_need(schema):
    resources = schema["resources"]
    baseline = resources["patching-components:index:SecurityBaseline"]
    assert baseline["requiredInputs"] == ["operatingSystem"]
    assert baseline["inputProperties"]["approveAfterDays"]["type"] == "integer"
    assert baseline["inputProperties"]["sources"]["additionalProperties"]["$ref"] == (
        "#/types/patching-components:index:PatchSourceSettings"
    )
    window = resources["patching-components:index:PatchWindow"]
    assert sorted(window["requiredInputs"]) == ["cutoffHours", "durationHours", "operation", "patchGroups", "schedule"]
    assert window["inputProperties"]["patchGroups"] == {
        "description": window["inputProperties"]["patchGroups"]["description"],
        "type": "array",
        "items": {
            "description": window["inputProperties"]["patchGroups"]["description"],
            "type": "string",
            "plain": True,
        },
        "plain": True,
    }
    assert window["properties"]["windowId"]["type"] == "string"
    customer = resources["patching-components:index:CustomerPatching"]
    assert customer["requiredInputs"] == ["customer"]
    assert customer["inputProperties"]["baselines"]["additionalProperties"]["$ref"] == (
        "#/types/patching-components:index:BaselineSettings"
    )
    settings = schema["types"]["patching-components:index:BaselineSettings"]
    assert settings["required"] == ["operatingSystem"]
    assert settings["properties"]["approveUntilDate"]["type"] == "string"
    assert "AMAZON_LINUX_2023" in settings["properties"]["operatingSystem"]["description"]
    assert customer["properties"]["goldenAmis"]["additionalProperties"]["additionalProperties"]["type"] == "string"


def test_the_config_typeddicts_are_generated_from_the_current_model():
    assert _typegen.render() == _typegen.OUTPUT.read_text(encoding="utf-8"), (
        "components/args.py is stale: run python -m patching_components.components._typegen"
    )


def _construct(provider, component: str, name: str, inputs: dict, aws_config: dict | None = None):
    """The component constructed as another language's program would, in a stack with this ``aws:`` config."""

    def program():
        provider.construct(name, f"patching-components:index:{component}", inputs, None)

    return run_program(aws_config or {}, stack=name, program=program)


def _canonical(run) -> list[str]:
    return sorted(json.dumps([r.type, r.name, r.inputs], sort_keys=True) for r in run.resources)


def test_a_program_in_another_language_builds_what_the_python_program_builds(provider):
    """The inputs a TypeScript or YAML program sends (camelCase, plain JSON) give the same resources."""
    stack = ROOT / "stacks" / "Pulumi.globex.yaml"
    config = stack_file_config(stack)
    inputs = json.loads(
        json.dumps({k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("patching:")}, default=str)
    )
    aws_config = {k: v for k, v in config.items() if k.startswith("aws:")}
    constructed = _construct(provider, "CustomerPatching", "globex", inputs, aws_config)
    assert _canonical(constructed) == _canonical(run_stack_file(stack))


def test_the_yaml_example_program_uses_the_schema_and_builds(provider, schema):
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    assert program["runtime"] == "yaml"
    assert (YAML_PROGRAM.parent / program["packages"][PACKAGE]).resolve() == ROOT
    (resource,) = program["resources"].values()
    definition = schema["resources"][resource["type"]]
    assert set(resource["properties"]) <= set(definition["inputProperties"])
    assert set(definition.get("requiredInputs", [])) <= set(resource["properties"])
    for output in program["outputs"].values():
        assert re.fullmatch(r"\$\{hooli\.(\w+)\}", output)[1] in definition["properties"]

    run = _construct(provider, "CustomerPatching", "hooli", resource["properties"])
    baselines = {r.name: r.inputs for r in run.of_type("aws:ssm/patchBaseline:PatchBaseline")}
    assert {name: b["operatingSystem"] for name, b in baselines.items()} == {
        "hooli-al2023": "AMAZON_LINUX_2023",
        "hooli-windows": "WINDOWS",
    }
    (target,) = run.of_type("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget")
    assert target.inputs["targets"] == [{"key": "tag:PatchGroup", "values": ["hooli-fileservers", "hooli-web"]}]
    assert len(run.of_type("aws:s3/bucket:Bucket")) == 1


@pytest.fixture
def schema_spelling(monkeypatch):
    """Errors as the provider's process gives them (main() sets it): the calling program's keys."""
    from patching_components.components import _check_args

    monkeypatch.setattr(_check_args, "SPELLING", "schema")


def test_the_provider_process_names_keys_as_other_languages_write_them(monkeypatch):
    import pulumi.provider.experimental

    from patching_components import provider
    from patching_components.components import _check_args

    hosted = []
    monkeypatch.setattr(_check_args, "SPELLING", "python")
    monkeypatch.setattr(pulumi.provider.experimental, "component_provider_host", lambda **kw: hosted.append(kw))
    docs = {component: component.__dict__.get("__doc__") for component in COMPONENTS}
    try:
        provider.main()
    finally:  # main() gives the classes their own docstrings back, for the schema: help() wants its own
        for component, doc in docs.items():
            component.__doc__ = doc
    assert hosted and hosted[0]["name"] == PACKAGE
    assert _check_args.SPELLING == "schema"


def test_bad_inputs_from_another_language_fail_with_the_config_error(provider, schema_spelling):
    with pytest.raises(Exception, match=r"baselines\.al2023\.operatingSystem: got 'AMAZON_LINUX_2030'") as failure:
        _construct(
            provider,
            "CustomerPatching",
            "bad",
            {"customer": "bad", "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2030"}}},
        )
    assert "AMAZON_LINUX_2023" in str(failure.value)
    # The window's own rule, and a plumbing key, in the schema's names (cutoffHours, patchGroups).
    inputs = {
        "schedule": "rate(1 day)",
        "durationHours": 2,
        "cutoffHours": 2,
        "operation": "Scan",
        "patchGroups": ["web", "db;drop"],
    }
    with pytest.raises(Exception) as failure:
        _construct(provider, "PatchWindow", "w", inputs)
    text = str(failure.value)
    assert "patchGroups[1]: 'db;drop' does not match" in text
    assert "cutoffHours: cutoffHours (2) must be less than durationHours (2)" in text


def test_another_languages_camel_case_reaches_the_snake_case_args_nested_too(provider, schema):
    """Pulumi's provider host maps the schema's camelCase names to the args' snake_case keys, inside
    nested settings too: a window's hooks (preInstall) switch its task to the WithHooks document."""
    window = schema["resources"]["patching-components:index:PatchWindow"]
    assert {"durationHours", "cutoffHours", "patchGroups", "hooks"} <= set(window["inputProperties"])
    inputs = {
        "schedule": "cron(0 2 ? * SUN *)",
        "durationHours": 3,
        "cutoffHours": 1,
        "operation": "Install",
        "patchGroups": ["web"],
        "hooks": {"preInstall": "Acme-Drain"},
    }
    run = _construct(provider, "PatchWindow", "sunday", inputs)
    (task,) = run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["taskArn"] == "AWS-RunPatchBaselineWithHooks"
    parameters = task.inputs["taskInvocationParameters"]["runCommandParameters"]["parameters"]
    assert {"name": "PreInstallHookDocName", "values": ["Acme-Drain"]} in parameters
    (window_resource,) = run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert (window_resource.inputs["duration"], window_resource.inputs["cutoff"]) == (3, 1)
