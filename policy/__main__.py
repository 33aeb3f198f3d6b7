"""Policy pack entry point: `pulumi preview --policy-pack policy` (from the repository root)."""

from pulumi_policy import PolicyPack

from patching_standard import POLICIES

PolicyPack(name="patching-standard", policies=POLICIES)
