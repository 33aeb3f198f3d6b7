"""The Pulumi components: one ComponentResource per module."""
