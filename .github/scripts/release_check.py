#!/usr/bin/env python3
"""The release workflow's checks (.github/workflows/release.yml), run from the repository root.

    release_check.py versions --tag vX.Y.Z   the tag, patching_components.__version__ and CHANGELOG.md's
                                             newest released entry name one version
    release_check.py notes [--out FILE]      that CHANGELOG entry's text: the GitHub release's notes
    release_check.py wheel WHEEL             the wheel holds every module and every package-data file
                                             that pyproject.toml declares, and nothing else

A tag is `vX.Y.Z` (semantic versioning, no pre-release suffix). CHANGELOG.md keeps `## [Unreleased]`
as its first section; a release is `## [X.Y.Z] - YYYY-MM-DD` below it, newer than every older entry.
Each failure is one line on stderr (`release_check: error: ...`) and exit status 1.
Standard library only: it runs on the runner's own Python, before any install.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import re
import sys
import tomllib
import zipfile
from pathlib import Path

PACKAGE = "patching_components"
TAG = re.compile(r"^v(?P<version>(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*))$")
VERSION_LINE = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\S+)\s*$")
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: \S+")


class ReleaseError(Exception):
    pass


def package_version(root: Path) -> str:
    """``__version__`` as written in the package's ``__init__.py`` (read, not imported)."""
    match = VERSION_LINE.search((root / PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    if not match:
        raise ReleaseError(f'{PACKAGE}/__init__.py: no line __version__ = "X.Y.Z"')
    return match["version"]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def newest_entry(changelog: str) -> tuple[str, str]:
    """The newest released entry of a CHANGELOG: its version and its text (without the heading)."""
    lines = changelog.splitlines()
    headings = [(index, line) for index, line in enumerate(lines) if line.startswith("## ")]
    if not headings or headings[0][1].strip() != "## [Unreleased]":
        raise ReleaseError("CHANGELOG.md: the first section must be '## [Unreleased]' (it stays on top)")
    released = []
    for index, line in headings[1:]:
        match = RELEASE_HEADING.match(line)
        if not match or not TAG.match(f"v{match['version']}"):
            raise ReleaseError(f"CHANGELOG.md:{index + 1}: {line!r} is not '## [X.Y.Z] - YYYY-MM-DD'")
        try:
            datetime.date.fromisoformat(match["date"])
        except ValueError:
            raise ReleaseError(f"CHANGELOG.md:{index + 1}: {match['date']!r} is not a date (YYYY-MM-DD)") from None
        released.append((index, match["version"]))
    if not released:
        raise ReleaseError("CHANGELOG.md: no released entry ('## [X.Y.Z] - YYYY-MM-DD') below '## [Unreleased]'")
    start, version = released[0]
    older = [v for _, v in released[1:] if _version_key(v) >= _version_key(version)]
    if older:
        raise ReleaseError(f"CHANGELOG.md: the newest entry {version} is not newer than {older[0]} below it")
    end = released[1][0] if len(released) > 1 else len(lines)
    body = lines[start + 1 : end]
    if len(released) == 1:  # the last entry: Keep a Changelog's link definitions follow it
        while body and (not body[-1].strip() or LINK_DEFINITION.match(body[-1])):
            body.pop()
    return version, "\n".join(body).strip("\n") + "\n"


def check_versions(root: Path, tag: str) -> str:
    match = TAG.match(tag)
    if not match:
        raise ReleaseError(f"tag {tag!r} is not vX.Y.Z (semantic versioning)")
    changelog_version, _ = newest_entry((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    package = package_version(root)
    if not match["version"] == package == changelog_version:
        raise ReleaseError(
            f"versions disagree: tag {tag}, {PACKAGE}.__version__ {package}, "
            f"CHANGELOG.md's newest entry {changelog_version}"
        )
    return package


def expected_wheel_files(root: Path) -> set[str]:
    """Every module of the package and every file its package-data patterns (pyproject.toml) match."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"][PACKAGE]
    package = root / PACKAGE
    files = set()
    for path in package.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(package).as_posix()
        if path.suffix == ".py" or any(fnmatch.fnmatch(relative, pattern) for pattern in patterns):
            files.add(f"{PACKAGE}/{relative}")
    return files


def check_wheel(root: Path, wheel: Path) -> int:
    names = {name for name in zipfile.ZipFile(wheel).namelist() if not name.endswith("/")}
    shipped = {name for name in names if ".dist-info/" not in name}
    missing = sorted(expected_wheel_files(root) - shipped)
    if missing:
        raise ReleaseError(f"{wheel.name} lacks {', '.join(missing)}")
    extra = sorted(name for name in shipped if not name.startswith(f"{PACKAGE}/"))
    if extra:
        raise ReleaseError(f"{wheel.name} holds files outside {PACKAGE}/: {', '.join(extra)}")
    return len(shipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(), help="the repository root (default: here)")
    sub = parser.add_subparsers(dest="command", required=True)
    versions = sub.add_parser("versions", help="tag == __version__ == CHANGELOG's newest entry")
    versions.add_argument("--tag", required=True, help="the git tag, vX.Y.Z")
    notes = sub.add_parser("notes", help="the newest CHANGELOG entry's text")
    notes.add_argument("--out", type=Path, help="write it here rather than to stdout")
    wheel = sub.add_parser("wheel", help="the wheel holds every module and package-data file")
    wheel.add_argument("wheel", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "versions":
            version = check_versions(args.root, args.tag)
            print(f"release {version}: tag, {PACKAGE}.__version__ and CHANGELOG.md agree")
        elif args.command == "notes":
            _, text = newest_entry((args.root / "CHANGELOG.md").read_text(encoding="utf-8"))
            if args.out:
                args.out.write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        else:
            count = check_wheel(args.root, args.wheel)
            print(f"{args.wheel.name}: all {count} files of {PACKAGE} and its package data")
    except (ReleaseError, OSError, zipfile.BadZipFile) as exc:
        print(f"release_check: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
