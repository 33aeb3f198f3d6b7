"""Content-derived version names of the SSM documents the stack builds (issue #25 item 5): no Pulumi, no boto3.

Every document the components create (``components._base.ssm_document``) sends ``VersionName`` =
``sha256-<SHA-256 of the content, hex>`` with its content, on CreateDocument and on every UpdateDocument.
AWS keeps a version name unique across all versions of a document and never changes it ("CreateDocument",
"UpdateDocument", "DescribeDocument", AWS Systems Manager API Reference; docs/aws-behaviour.md), so:

- an update that did not take leaves the default version's name different from the one the stack sends,
  which the provider reads back (DescribeDocument describes the default version) and `patching report` sees;
- a version named by us carries the content the name hashes: the report checks it (``content_matches``);
- the document's name, which the guard, the windows and the EventBridge targets use, never changes.
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "sha256-"
PATTERN = re.compile(r"^sha256-([0-9a-f]{64})$")
"""A version name of ours: 71 characters, within AWS's ``^[a-zA-Z0-9_\\-.]{1,128}$``."""


def content_version_name(content: str) -> str:
    """The version name of a document version with ``content`` (the string sent to AWS, UTF-8)."""
    return PREFIX + hashlib.sha256(content.encode("utf-8")).hexdigest()


def hashed_content(version_name: str | None) -> str | None:
    """The SHA-256 (hex) a version name of ours carries; None for any other name (or none)."""
    found = PATTERN.match(version_name or "")
    return found.group(1) if found else None


def content_matches(version_name: str | None, content: str) -> bool:
    """Whether ``content`` is what a version named ``version_name`` was created with (by us)."""
    return version_name is not None and content_version_name(content) == version_name
