"""The release checks (.github/scripts/release_check.py), run for real as the release workflow
runs them: on this repository, and on throw-away copies whose versions and CHANGELOG we change."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from patching_components import __version__

pytestmark = pytest.mark.slow  # tooling (this repository's release workflow), with the packaging tests: .ci/run

SCRIPT = ROOT / ".github" / "scripts" / "release_check.py"

CHANGELOG = """\
# Changelog

All notable changes. The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).

## [Unreleased]

### Fixed
- Something not released yet.

## [1.2.0] - 2026-12-04

Patch night round 3.

### Added
- `patching_components.testing`.

### Fixed
- A `## heading` inside a code span stays.

## [1.1.0] - 2026-11-30

### Added
- Older things.

[1.2.0]: https://example.com/compare/v1.1.0...v1.2.0
"""


def release_check(*args, root=ROOT):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *args], capture_output=True, text=True, timeout=30
    )


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository at version 1.2.0 whose CHANGELOG's newest entry is 1.2.0."""
    (tmp_path / "patching_components").mkdir()
    (tmp_path / "patching_components" / "__init__.py").write_text('"""Doc."""\n\n__version__ = "1.2.0"\n')
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    return tmp_path


def test_this_repository_agrees_with_a_tag_of_its_version():
    result = release_check("versions", "--tag", f"v{__version__}")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"release {__version__}: tag, patching_components.__version__ and CHANGELOG.md agree\n"


def test_agreeing_versions_pass(repo):
    result = release_check("versions", "--tag", "v1.2.0", root=repo)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("tag", "version", "message"),
    [
        (
            "v1.2.1",
            "1.2.0",
            "versions disagree: tag v1.2.1, patching_components.__version__ 1.2.0, CHANGELOG.md's newest entry 1.2.0",
        ),
        (
            "v1.3.0",
            "1.3.0",
            "versions disagree: tag v1.3.0, patching_components.__version__ 1.3.0, CHANGELOG.md's newest entry 1.2.0",
        ),  # the version was bumped, the CHANGELOG entry not written
        (
            "v1.2.0",
            "1.1.0",
            "versions disagree: tag v1.2.0, patching_components.__version__ 1.1.0, CHANGELOG.md's newest entry 1.2.0",
        ),
        ("1.2.0", "1.2.0", "tag '1.2.0' is not vX.Y.Z (semantic versioning)"),
        ("v1.2", "1.2.0", "tag 'v1.2' is not vX.Y.Z (semantic versioning)"),
        ("v1.2.0-rc1", "1.2.0", "tag 'v1.2.0-rc1' is not vX.Y.Z (semantic versioning)"),
        ("v01.2.0", "1.2.0", "tag 'v01.2.0' is not vX.Y.Z (semantic versioning)"),
    ],
)
def test_a_mismatch_fails_with_one_line(repo, tag, version, message):
    init = repo / "patching_components" / "__init__.py"
    init.write_text(init.read_text().replace('"1.2.0"', f'"{version}"'))
    result = release_check("versions", "--tag", tag, root=repo)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"release_check: error: {message}\n")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace("## [Unreleased]\n\n### Fixed\n- Something not released yet.\n\n", ""),
            "CHANGELOG.md: the first section must be '## [Unreleased]' (it stays on top)",
        ),
        (
            lambda text: text.replace("## [1.2.0] - 2026-12-04", "## [1.2.0] 2026-12-04"),
            "CHANGELOG.md:10: '## [1.2.0] 2026-12-04' is not '## [X.Y.Z] - YYYY-MM-DD'",
        ),
        (
            lambda text: text.replace("2026-12-04", "2026-13-04"),
            "CHANGELOG.md:10: '2026-13-04' is not a date (YYYY-MM-DD)",
        ),
        (
            lambda text: text.replace("## [1.1.0]", "## [1.2.0]"),
            "CHANGELOG.md: the newest entry 1.2.0 is not newer than 1.2.0 below it",
        ),
    ],
)
def test_a_changelog_out_of_shape_fails_with_one_line(repo, edit, message):
    (repo / "CHANGELOG.md").write_text(edit(CHANGELOG))
    result = release_check("versions", "--tag", "v1.2.0", root=repo)
    assert (result.returncode, result.stderr) == (1, f"release_check: error: {message}\n")


def test_the_notes_are_the_newest_entry_exactly(repo, tmp_path):
    result = release_check("notes", root=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Patch night round 3.\n"
        "\n"
        "### Added\n"
        "- `patching_components.testing`.\n"
        "\n"
        "### Fixed\n"
        "- A `## heading` inside a code span stays.\n"
    )
    out = tmp_path / "notes.md"
    assert release_check("notes", "--out", str(out), root=repo).returncode == 0
    assert out.read_text() == result.stdout


def test_the_only_entry_ends_before_the_link_definitions(repo):
    (repo / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n## [1.1.0] - 2026-11-30\n\n### Added\n- Older things.\n\n"
        "[unreleased]: https://example.com/compare/v1.1.0...HEAD\n[1.1.0]: https://example.com/releases/v1.1.0\n"
    )
    result = release_check("notes", root=repo)
    assert (result.returncode, result.stdout) == (0, "### Added\n- Older things.\n")


def test_this_repositorys_notes_are_its_newest_entry():
    text = (ROOT / "CHANGELOG.md").read_text()
    heading = next(line for line in text.splitlines() if line.startswith(f"## [{__version__}] - "))
    result = release_check("notes")
    assert result.returncode == 0, result.stderr
    entry = text.split(heading + "\n", 1)[1]
    assert entry.lstrip("\n").startswith(result.stdout)
    assert "## [" not in result.stdout and "[Unreleased]" not in result.stdout


def test_a_missing_changelog_is_one_line_too(repo):
    (repo / "CHANGELOG.md").unlink()
    result = release_check("versions", "--tag", "v1.2.0", root=repo)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("release_check: error: ") and "CHANGELOG.md" in result.stderr


def test_the_script_needs_only_the_standard_library(tmp_path):
    # The workflow runs it on the runner's Python before anything is installed: -I -S leaves
    # site-packages (and this checkout) out of the path.
    shutil.copy(SCRIPT, tmp_path / "release_check.py")
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(tmp_path / "release_check.py"),
            "--root",
            str(ROOT),
            "versions",
            "--tag",
            f"v{__version__}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
