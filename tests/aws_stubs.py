"""Stubbed AWS clients for the commands that call AWS (report, patch-now): botocore's Stubber
checks every request and response against the real service models."""

import boto3
from botocore.stub import Stubber


class StubbedAccount:
    """Stubbed clients per service and region, each stubber loaded with its calls in order."""

    def __init__(self, calls_by_service, region):
        """``calls_by_service``: {service: [(operation, expected params or None, response or
        Exception({...add_client_error kwargs}))]}, in call order."""
        self.clients, self.stubbers, self.called = {}, [], []
        self.requests = []
        """(service, operation, params, region) of every call, in order."""
        for service, calls in calls_by_service.items():
            client = boto3.client(
                service,
                region_name=region,
                aws_access_key_id="AKIAEXAMPLE",
                aws_secret_access_key="example",
            )
            stubber = Stubber(client)
            for operation, params, response in calls:
                if isinstance(response, Exception):
                    stubber.add_client_error(operation, **response.args[0])
                else:
                    stubber.add_response(operation, response, params)
            client.meta.events.register("before-parameter-build", self._record)
            client.meta.events.register(
                "before-parameter-build", lambda model, params, region=region, **_: self._request(model, params, region)
            )
            stubber.activate()
            self.clients[service, region] = client
            self.stubbers.append(stubber)

    def _record(self, model, **kwargs):
        self.called.append(f"{model.service_model.signing_name}:{model.name}")

    def _request(self, model, params, region):
        self.requests.append((model.service_model.signing_name, model.name, dict(params), region))

    def __call__(self, service, region):
        return self.clients[service, region]

    def assert_all_called(self):
        for stubber in self.stubbers:
            stubber.assert_no_pending_responses()


STUB_ACCOUNT_ID = "123456789012"
STUB_PRINCIPAL = f"arn:aws:sts::{STUB_ACCOUNT_ID}:assumed-role/patching-operator/patching-components"


def use_account(monkeypatch, clients, account_id=STUB_ACCOUNT_ID, principal_arn=STUB_PRINCIPAL):
    """Make the CLI reach ``clients`` (a StubbedAccount) as the stack's account, recording how it was
    asked to open it (the stack's settings and options) in the list it returns."""
    from patching_components.tools import common
    from patching_components.tools.aws_access import Account

    opened = []

    def open_account(stack_settings, **options):
        opened.append((stack_settings, options))
        return Account(account_id, principal_arn, clients)

    monkeypatch.setattr(common, "open_account", open_account)
    return opened
