"""Facts about AWS, written once: no Pulumi, no pydantic."""
