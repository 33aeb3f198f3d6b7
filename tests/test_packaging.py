"""The sdist and wheel: what they contain, and that the wheel works on its own."""

import fcntl
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from patching_components import __all__ as public_names
from patching_components import __version__

# Builds and installs the distributions: .ci/run runs it with the slow tests.
pytestmark = pytest.mark.slow

NOT_SHIPPED = ("tests/", "stacks/", "benchmarks/", "programs/", "examples/", "policy/", ".github/")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """``python -m build``: the sdist, then the wheel built from that sdist, with this environment's
    setuptools (no isolated build environment, so no package index is needed)."""
    out = tmp_path_factory.mktemp("dist")
    # One build at a time (pytest-xdist's workers, two runs in one checkout): the sdist's tree and the egg-info are
    # written into the checkout, and two builds at once break each other. flock: the lock goes with the process.
    with (ROOT / "pyproject.toml").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
            check=True,
            capture_output=True,
        )
    return out


def test_the_version_is_written_once():
    from importlib.metadata import version

    assert version("patching-components") == __version__
    assert "version =" not in (ROOT / "pyproject.toml").read_text().split("[project.optional-dependencies]")[0]
    assert f"## [{__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_the_distributions_hold_the_package_and_its_data_only(dist):
    (wheel,) = dist.glob(f"patching_components-{__version__}-py3-none-any.whl")
    (sdist,) = dist.glob(f"patching_components-{__version__}.tar.gz")
    wheel_files = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as archive:
        sdist_files = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for files in (wheel_files, sdist_files):
        assert "patching_components/documents/golden-ami.yaml" in files
        for data in (
            "data/aws-regions.txt",
            "data/report.schema.json",
            "data/provider-calls.json",
            "templates/report.html.j2",
        ):
            assert f"patching_components/{data}" in files
        assert "patching_components/py.typed" in files  # users' type checkers read the annotations
        assert "patching_components/components/args.py" in files
        assert not [name for name in files if name.startswith(NOT_SHIPPED)]
    assert {"README.md", "LICENSE", "CHANGELOG.md", "pyproject.toml"} <= set(sdist_files)


def test_the_wheel_installs_and_works_in_a_fresh_virtualenv(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    env = tmp_path / "venv"
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    # Without a PYTHONPATH naming the checkout (`PYTHONPATH=$PWD pytest`): pip would take its egg-info for the
    # package installed, and the commands would import the checkout instead of the wheel.
    outside = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    # Dependencies come from this environment (same resolved versions, no
    # downloads); the package itself only from the wheel.
    purelib = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            env=outside,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (purelib / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        env=outside,
        check=True,
        capture_output=True,
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        # Outside the checkout, so that nothing imports from it.
        return subprocess.run(args, cwd=tmp_path, env=outside, capture_output=True, text=True, check=False)

    components = [name for name in public_names if name[0].isupper()]
    imported = run(
        str(python),
        "-c",
        f"import patching_components as p; from patching_components import {', '.join(components)}; "
        "print(p.__file__, p.__version__)",
    )
    assert imported.returncode == 0, imported.stderr
    location, version = imported.stdout.split()
    assert Path(location).is_relative_to(env) and version == __version__

    patching = str(env / "bin" / "patching")
    assert run(patching, "--help").returncode == 0
    assert run(patching, "--version").stdout.strip() == f"patching {__version__}"
    # The golden AMI templates (package data) are read by these two.
    validated = run(patching, "validate", str(ROOT / "stacks" / "Pulumi.acme.yaml"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    plan = run(patching, "plan", str(ROOT / "stacks" / "Pulumi.acme.yaml"))
    assert plan.returncode == 0 and "aws:ssm/document:Document" in plan.stdout, plan.stderr
    # deploy-policy reads the provider-calls table (package data).
    policy = run(patching, "deploy-policy", str(ROOT / "stacks" / "Pulumi.acme.yaml"), "--format", "json")
    assert policy.returncode == 0 and '"Statement"' in policy.stdout, policy.stderr


def test_the_release_check_finds_every_file_in_the_wheel_and_names_a_missing_one(dist, tmp_path):
    """What release.yml runs on the wheel it built: every module and package-data file is in it."""
    (wheel,) = dist.glob("*.whl")
    script = [sys.executable, str(ROOT / ".github" / "scripts" / "release_check.py"), "--root", str(ROOT), "wheel"]
    result = subprocess.run([*script, str(wheel)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # A wheel built without the package data (a MANIFEST or package-data glob gone wrong).
    broken = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if item.filename not in ("patching_components/documents/golden-ami.yaml", "patching_components/py.typed"):
                target.writestr(item, source.read(item))
    result = subprocess.run([*script, str(broken)], capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (
        1,
        f"release_check: error: {wheel.name} lacks patching_components/documents/golden-ami.yaml, "
        "patching_components/py.typed\n",
    )
