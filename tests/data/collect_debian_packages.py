"""Record what the Debian archive says about a few packages, for tests/test_patch_manager_model.py.

Run on a Debian machine whose apt sources include the -security suite, after
`apt-get update`:  python3 tests/data/collect_debian_packages.py > tests/data/debian_packages.json
For each package it records every version apt knows with its Priority and
Section (`apt-cache show`) and the suites it is published in (`apt-cache policy`).
"""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime

PACKAGES = ("openssl", "openssh-server", "libc6", "sudo", "curl", "linux-image-amd64", "bash", "tzdata")


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def suites(package: str) -> dict[str, list[str]]:
    """version -> suites it comes from (e.g. bookworm-security), from `apt-cache policy`."""
    found: dict[str, list[str]] = {}
    version = None
    for line in run("apt-cache", "policy", package).splitlines()[3:]:
        if m := re.match(r"^ (?:\*\*\*| {3}) (\S+) \d+$", line):
            version = m.group(1)
            found.setdefault(version, [])
        elif version and (m := re.match(r"^\s+\d+ \S+ (\S+)/\S+ \S+ Packages$", line)):
            found[version].append(m.group(1))
    return found


def stanzas(package: str) -> list[dict[str, str]]:
    text = run("apt-cache", "show", "--all-versions", package)
    result = []
    for block in text.strip().split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", block, re.MULTILINE))
        result.append({k: fields[k] for k in ("Package", "Version", "Priority", "Section") if k in fields})
    return result


def main() -> None:
    release = run("sh", "-c", ". /etc/os-release && echo $VERSION_CODENAME").strip()
    packages = {}
    for package in PACKAGES:
        where = suites(package)
        versions = [
            {"version": s["Version"], "priority": s["Priority"], "section": s["Section"], "suites": where[s["Version"]]}
            for s in stanzas(package)
            if where.get(s["Version"])  # a version only in /var/lib/dpkg/status is no archive's
        ]
        packages[package] = versions
    json.dump(
        {
            "source": "the Debian archive through apt on a Debian "
            f"{release} build machine: `apt-cache show --all-versions` (Priority, Section) and "
            "`apt-cache policy` (suites), by tests/data/collect_debian_packages.py",
            "recorded": datetime.now(UTC).date().isoformat(),
            "release": release,
            "packages": packages,
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
