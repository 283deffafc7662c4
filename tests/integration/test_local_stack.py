"""hubctl.local_stack on moto: template.yaml's tables, queues and function settings recreated locally."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from hubctl.local_stack import (
    HttpApiEvent,
    LocalResources,
    NotLocalError,
    ScheduleEvent,
    SqsEvent,
    UnresolvableReferenceError,
    create_local_resources,
    describe_functions,
    load_template,
)

REGION = "eu-west-1"
PREFIX = "test"

# A small template that uses the intrinsic functions and conditions the hub's own
# template does not (yet), so that the resolver is exercised on them too.
INTRINSICS_TEMPLATE = """
Parameters:
  Stage:
    Type: String
    Default: dev
  WithArchive:
    Type: String
    Default: "false"
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  HasArchive: !Equals [!Ref WithArchive, "true"]
  IsProdWithArchive: !And [!Condition IsProd, !Condition HasArchive]
Globals:
  Function:
    Timeout: 15
    Environment:
      Variables:
        STAGE: !Ref Stage
        SHARED: from-globals
Resources:
  JobsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: job_id, AttributeType: S}
      KeySchema:
        - {AttributeName: job_id, KeyType: HASH}
  ArchiveTable:
    Type: AWS::DynamoDB::Table
    Condition: HasArchive
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: job_id, AttributeType: S}
      KeySchema:
        - {AttributeName: job_id, KeyType: HASH}
  JobsQueue:
    Type: AWS::SQS::Queue
    Properties:
      FifoQueue: true
      ContentBasedDeduplication: true
  JobFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/job/
      Handler: app.handler
      Environment:
        Variables:
          SHARED: from-function
          JOBS_TABLE_ARN: !GetAtt JobsTable.Arn
          QUEUE_NAME: !Sub ${JobsQueue.QueueName}
          TABLE_IN_SUB: !Sub ["${AWS::StackName}:${JobsTable}:${Suffix}", {Suffix: !Ref Stage}]
          LITERAL: !Sub "${!NotAVariable}"
          JOINED: !Join ["/", [!Ref AWS::Region, !Ref Stage]]
          FIRST: !Select [0, !Split [",", "a,b"]]
          MODE: !If [IsProd, strict, relaxed]
          PROD_ONLY: !If [IsProd, "yes", !Ref AWS::NoValue]
          ARCHIVE_MODE: !If [IsProdWithArchive, archive, none]
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt JobsQueue.Arn
        Nightly:
          Type: Schedule
          Properties:
            Schedule: cron(0 2 * * ? *)
            Enabled: false
        Topic:
          Type: SNS
          Properties:
            Topic: arn:aws:sns:eu-west-1:123456789012:jobs
  BrokenFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/broken/
      Handler: app.handler
      Environment:
        Variables:
          MISSING: !Ref NoSuchResource
"""


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give boto3 fake credentials, so nothing here can reach a real account."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def moto(aws_credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def local(moto: None) -> LocalResources:
    return create_local_resources(load_template(), region=REGION, prefix=PREFIX)


@pytest.fixture
def dynamodb(moto: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def sqs(moto: None) -> Any:
    return boto3.client("sqs", region_name=REGION)


def key_schema(dynamodb: Any, table_name: str) -> dict[str, str]:
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    return {key["KeyType"]: key["AttributeName"] for key in table["KeySchema"]}


def attribute_types(dynamodb: Any, table_name: str) -> dict[str, str]:
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    return {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}


def queue_attributes(sqs: Any, queue_url: str) -> dict[str, str]:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]


def write_template(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def test_tables_named_after_logical_ids(local: LocalResources) -> None:
    assert local.table_names == {
        "ConnectionsTable": "test-ConnectionsTable",
        "LedgerTable": "test-LedgerTable",
        "CursorsTable": "test-CursorsTable",
        "ProductSyncTable": "test-ProductSyncTable",
    }


def test_topics_named_after_logical_ids(local: LocalResources) -> None:
    names = {logical_id: arn.rsplit(":", 1)[-1] for logical_id, arn in local.topic_arns.items()}
    assert names == {"AlarmTopic": "test-AlarmTopic", "NotificationTopic": "test-NotificationTopic"}


def test_environment_resolves_notification_topic(local: LocalResources) -> None:
    environment = local.function_environment("OrderTransferFunction")
    assert environment["NOTIFICATION_TOPIC_ARN"] == local.topic_arns["NotificationTopic"]


def test_tables_exist_on_moto(local: LocalResources, dynamodb: Any) -> None:
    assert set(dynamodb.list_tables()["TableNames"]) == set(local.table_names.values())


def test_connections_table_keyed_by_connection_id(local: LocalResources, dynamodb: Any) -> None:
    assert key_schema(dynamodb, local.table_names["ConnectionsTable"]) == {"HASH": "connection_id"}


def test_ledger_table_keyed_by_pk_and_sk(local: LocalResources, dynamodb: Any) -> None:
    assert key_schema(dynamodb, local.table_names["LedgerTable"]) == {"HASH": "pk", "RANGE": "sk"}


def test_cursors_table_keyed_by_connection_and_cursor(local: LocalResources, dynamodb: Any) -> None:
    assert key_schema(dynamodb, local.table_names["CursorsTable"]) == {
        "HASH": "connection_id",
        "RANGE": "cursor_name",
    }


def test_product_sync_table_keyed_by_connection_and_sku(local: LocalResources, dynamodb: Any) -> None:
    assert key_schema(dynamodb, local.table_names["ProductSyncTable"]) == {
        "HASH": "connection_id",
        "RANGE": "sku",
    }


def test_table_keys_are_strings(local: LocalResources, dynamodb: Any) -> None:
    for table_name in local.table_names.values():
        assert set(attribute_types(dynamodb, table_name).values()) == {"S"}, table_name


def test_tables_bill_on_demand(local: LocalResources, dynamodb: Any) -> None:
    for table_name in local.table_names.values():
        table = dynamodb.describe_table(TableName=table_name)["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", table_name


def test_ledger_ttl_enabled_on_expires_at(local: LocalResources, dynamodb: Any) -> None:
    ttl = dynamodb.describe_time_to_live(TableName=local.table_names["LedgerTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_connections_table_has_no_ttl(local: LocalResources, dynamodb: Any) -> None:
    ttl = dynamodb.describe_time_to_live(TableName=local.table_names["ConnectionsTable"])
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"


# ---------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------


def test_queues_named_after_logical_ids(local: LocalResources) -> None:
    names = {logical_id: url.rsplit("/", 1)[-1] for logical_id, url in local.queue_urls.items()}
    assert names == {
        "OrdersQueue": "test-OrdersQueue",
        "OrdersDeadLetterQueue": "test-OrdersDeadLetterQueue",
        "OrderPollDeadLetterQueue": "test-OrderPollDeadLetterQueue",
        "CreditNotesQueue": "test-CreditNotesQueue",
        "CreditNotesDeadLetterQueue": "test-CreditNotesDeadLetterQueue",
        "FulfillmentImportDeadLetterQueue": "test-FulfillmentImportDeadLetterQueue",
        "InventoryImportDeadLetterQueue": "test-InventoryImportDeadLetterQueue",
        "ProductImportDeadLetterQueue": "test-ProductImportDeadLetterQueue",
        "OperationsDeadLetterQueue": "test-OperationsDeadLetterQueue",
    }


def test_orders_queue_redrives_to_local_dead_letter_queue(local: LocalResources, sqs: Any) -> None:
    redrive_policy = json.loads(queue_attributes(sqs, local.queue_urls["OrdersQueue"])["RedrivePolicy"])
    assert redrive_policy["deadLetterTargetArn"] == local.queue_arns["OrdersDeadLetterQueue"]


def test_orders_queue_allows_five_receives(local: LocalResources, sqs: Any) -> None:
    redrive_policy = json.loads(queue_attributes(sqs, local.queue_urls["OrdersQueue"])["RedrivePolicy"])
    assert int(redrive_policy["maxReceiveCount"]) == 5


def test_orders_queue_visibility_timeout_from_template(local: LocalResources, sqs: Any) -> None:
    assert queue_attributes(sqs, local.queue_urls["OrdersQueue"])["VisibilityTimeout"] == "360"


def test_dead_letter_queue_keeps_messages_14_days(local: LocalResources, sqs: Any) -> None:
    attributes = queue_attributes(sqs, local.queue_urls["OrdersDeadLetterQueue"])
    assert attributes["MessageRetentionPeriod"] == "1209600"


def test_dead_letter_queue_has_no_redrive_policy(local: LocalResources, sqs: Any) -> None:
    assert "RedrivePolicy" not in queue_attributes(sqs, local.queue_urls["OrdersDeadLetterQueue"])


def test_orders_queue_redrives_after_five_receives(local: LocalResources, sqs: Any) -> None:
    sqs.send_message(QueueUrl=local.queue_urls["OrdersQueue"], MessageBody='{"order_id": "1001"}')
    for _ in range(5):
        received = sqs.receive_message(QueueUrl=local.queue_urls["OrdersQueue"], VisibilityTimeout=0)
        assert len(received["Messages"]) == 1

    # SQS moves the message when a sixth receive would exceed maxReceiveCount.
    assert "Messages" not in sqs.receive_message(QueueUrl=local.queue_urls["OrdersQueue"])
    dead_letters = sqs.receive_message(QueueUrl=local.queue_urls["OrdersDeadLetterQueue"])
    assert [message["Body"] for message in dead_letters["Messages"]] == ['{"order_id": "1001"}']


# ---------------------------------------------------------------------------
# Function environment
# ---------------------------------------------------------------------------


def test_environment_resolves_table_names(local: LocalResources) -> None:
    environment = local.function_environment("OrderTransferFunction")
    names = ("CONNECTIONS_TABLE", "LEDGER_TABLE", "CURSORS_TABLE", "PRODUCT_SYNC_TABLE")
    tables = {name: environment[name] for name in names}
    assert tables == {
        "CONNECTIONS_TABLE": "test-ConnectionsTable",
        "LEDGER_TABLE": "test-LedgerTable",
        "CURSORS_TABLE": "test-CursorsTable",
        "PRODUCT_SYNC_TABLE": "test-ProductSyncTable",
    }


def test_environment_resolves_orders_queue_url(local: LocalResources, sqs: Any) -> None:
    environment = local.function_environment("WebhookFunction")
    assert environment["ORDERS_QUEUE_URL"] == sqs.get_queue_url(QueueName="test-OrdersQueue")["QueueUrl"]


def test_environment_uses_parameter_defaults(local: LocalResources) -> None:
    environment = local.function_environment("OrderPollFunction")
    defaults = {
        name: environment[name]
        for name in ("SECRETS_PREFIX", "TRANSFER_LOG_TTL_DAYS", "POWERTOOLS_LOG_LEVEL", "ENVIRONMENT")
    }
    assert defaults == {
        "SECRETS_PREFIX": "bemakers-hub/",
        "TRANSFER_LOG_TTL_DAYS": "90",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "ENVIRONMENT": "dev",
    }


def test_environment_keeps_literal_values(local: LocalResources) -> None:
    environment = local.function_environment("OrderPollFunction")
    assert environment["POWERTOOLS_SERVICE_NAME"] == "bemakers-hub"


def test_environment_applies_parameter_overrides(local: LocalResources) -> None:
    environment = local.function_environment(
        "OrderTransferFunction", parameter_overrides={"LogLevel": "DEBUG"}
    )
    assert environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"


def test_environment_applies_creation_overrides(moto: None) -> None:
    resources = create_local_resources(
        load_template(), region=REGION, prefix=PREFIX, parameter_overrides={"Environment": "staging"}
    )
    assert resources.function_environment("WebhookFunction")["ENVIRONMENT"] == "staging"


def test_environment_values_are_strings(local: LocalResources) -> None:
    environment = local.function_environment("OrderTransferFunction")
    assert all(isinstance(value, str) for value in environment.values())


def test_environment_rejects_unknown_function(local: LocalResources) -> None:
    with pytest.raises(KeyError, match="NoSuchFunction"):
        local.function_environment("NoSuchFunction")


def test_environment_rejects_unknown_parameter(local: LocalResources) -> None:
    with pytest.raises(KeyError, match="NoSuchParameter"):
        local.function_environment("WebhookFunction", parameter_overrides={"NoSuchParameter": "x"})


# ---------------------------------------------------------------------------
# Function specs
# ---------------------------------------------------------------------------


FLOW_FUNCTIONS = {
    "WebhookFunction",
    "OrderPollFunction",
    "OrderTransferFunction",
    "CreditNoteTransferFunction",
    "FulfillmentImportFunction",
    "InventoryImportFunction",
    "ProductImportFunction",
    "StatusReportFunction",
    "HeartbeatFunction",
}


def test_functions_lists_template_functions(local: LocalResources) -> None:
    assert set(local.functions()) == FLOW_FUNCTIONS


def test_transfer_function_consumes_orders_queue(local: LocalResources) -> None:
    transfer = local.functions()["OrderTransferFunction"]
    assert transfer.sqs_events == (
        SqsEvent(
            name="Orders",
            queue="OrdersQueue",
            batch_size=10,
            maximum_batching_window_seconds=1,
            function_response_types=("ReportBatchItemFailures",),
        ),
    )


def test_transfer_function_reports_batch_item_failures(local: LocalResources) -> None:
    (event,) = local.functions()["OrderTransferFunction"].sqs_events
    assert event.reports_batch_item_failures


def test_webhook_function_routes_bemakers_deliveries(local: LocalResources) -> None:
    webhook = local.functions()["WebhookFunction"]
    assert webhook.http_api_events == (
        HttpApiEvent(
            name="BemakersWebhook",
            method="POST",
            path="/webhooks/bemakers/{connection_id}",
            api_id="HubHttpApi",
        ),
    )


def test_poll_function_schedule_uses_parameter_default(local: LocalResources) -> None:
    poll = local.functions()["OrderPollFunction"]
    assert poll.schedule_events == (
        ScheduleEvent(name="OrderPoll", expression="rate(5 minutes)", enabled=True),
    )


def test_poll_function_schedule_applies_override(local: LocalResources) -> None:
    poll = local.functions(parameter_overrides={"OrderPollSchedule": "rate(1 minute)"})["OrderPollFunction"]
    assert [event.expression for event in poll.schedule_events] == ["rate(1 minute)"]


def test_product_import_schedule_uses_parameter_default(local: LocalResources) -> None:
    product_import = local.functions()["ProductImportFunction"]
    assert product_import.schedule_events == (
        ScheduleEvent(name="ProductImport", expression="rate(30 minutes)", enabled=True),
    )


def test_functions_carry_template_settings(local: LocalResources) -> None:
    settings = {
        logical_id: (spec.code_uri, spec.handler, spec.timeout)
        for logical_id, spec in local.functions().items()
    }
    assert settings == {
        "WebhookFunction": ("functions/webhook/", "app.lambda_handler", 10),
        "OrderPollFunction": ("functions/order_poll/", "app.lambda_handler", 120),
        "OrderTransferFunction": ("functions/order_transfer/", "app.lambda_handler", 60),
        "CreditNoteTransferFunction": ("functions/credit_note_transfer/", "app.lambda_handler", 60),
        "FulfillmentImportFunction": ("functions/fulfillment_import/", "app.lambda_handler", 120),
        "InventoryImportFunction": ("functions/inventory_import/", "app.lambda_handler", 300),
        "ProductImportFunction": ("functions/product_import/", "app.lambda_handler", 900),
        "StatusReportFunction": ("functions/status_report/", "app.lambda_handler", 120),
        "HeartbeatFunction": ("functions/heartbeat/", "app.lambda_handler", 120),
    }


def test_fulfillment_function_routes_ongoing_webhooks(local: LocalResources) -> None:
    fulfillment = local.functions()["FulfillmentImportFunction"]
    assert fulfillment.http_api_events == (
        HttpApiEvent(
            name="OngoingWebhook",
            method="POST",
            path="/webhooks/ongoing/{connection_id}",
            api_id="HubHttpApi",
        ),
    )


def test_inventory_function_routes_zettle_webhooks(local: LocalResources) -> None:
    inventory = local.functions()["InventoryImportFunction"]
    assert inventory.http_api_events == (
        HttpApiEvent(
            name="ZettleWebhook",
            method="POST",
            path="/webhooks/zettle/{connection_id}",
            api_id="HubHttpApi",
        ),
    )


def test_import_functions_run_on_schedules(local: LocalResources) -> None:
    functions = local.functions()
    schedules = {
        logical_id: [event.expression for event in functions[logical_id].schedule_events]
        for logical_id in ("FulfillmentImportFunction", "InventoryImportFunction")
    }
    assert schedules == {
        "FulfillmentImportFunction": ["rate(5 minutes)"],
        "InventoryImportFunction": ["rate(15 minutes)"],
    }


def test_describe_functions_needs_no_aws() -> None:
    assert set(describe_functions(load_template())) == FLOW_FUNCTIONS


# ---------------------------------------------------------------------------
# Template loader and resolver, on a small template of their own
# ---------------------------------------------------------------------------


def test_loader_reads_short_tags_as_long_form(tmp_path: Path) -> None:
    path = write_template(
        tmp_path,
        "Resources:\n"
        "  A:\n"
        "    Properties:\n"
        "      Ref: !Ref Table\n"
        "      Arn: !GetAtt Table.Arn\n"
        "      Address: !GetAtt Database.Endpoint.Address\n"
        "      Url: !Sub https://${Api}.example\n"
        "      Pick: !If [IsProd, a, b]\n"
        "      Not: !Not [!Condition IsProd]\n",
    )
    properties = load_template(path)["Resources"]["A"]["Properties"]
    assert properties == {
        "Ref": {"Ref": "Table"},
        "Arn": {"Fn::GetAtt": ["Table", "Arn"]},
        "Address": {"Fn::GetAtt": ["Database", "Endpoint.Address"]},
        "Url": {"Fn::Sub": "https://${Api}.example"},
        "Pick": {"Fn::If": ["IsProd", "a", "b"]},
        "Not": {"Fn::Not": [{"Condition": "IsProd"}]},
    }


def test_loader_rejects_unknown_tag(tmp_path: Path) -> None:
    path = write_template(tmp_path, "Resources:\n  A: !NoSuchFunction x\n")
    with pytest.raises(yaml.constructor.ConstructorError, match="NoSuchFunction"):
        load_template(path)


def test_loader_rejects_file_without_resources(tmp_path: Path) -> None:
    path = write_template(tmp_path, "Parameters: {}\n")
    with pytest.raises(ValueError, match="no Resources"):
        load_template(path)


def test_resolver_handles_intrinsic_functions(tmp_path: Path, moto: None) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(template, region=REGION, prefix=PREFIX)
    assert resources.function_environment("JobFunction") == {
        "STAGE": "dev",
        "SHARED": "from-function",
        "JOBS_TABLE_ARN": f"arn:aws:dynamodb:{REGION}:123456789012:table/test-JobsTable",
        "QUEUE_NAME": "test-JobsQueue.fifo",
        "TABLE_IN_SUB": "test:test-JobsTable:dev",
        "LITERAL": "${NotAVariable}",
        "JOINED": f"{REGION}/dev",
        "FIRST": "a",
        "MODE": "relaxed",
        "ARCHIVE_MODE": "none",
    }


def test_resolver_evaluates_conditions_with_overrides(tmp_path: Path, moto: None) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(template, region=REGION, prefix=PREFIX)
    environment = resources.function_environment(
        "JobFunction", parameter_overrides={"Stage": "prod", "WithArchive": "true"}
    )
    chosen = {name: environment[name] for name in ("MODE", "PROD_ONLY", "ARCHIVE_MODE")}
    assert chosen == {"MODE": "strict", "PROD_ONLY": "yes", "ARCHIVE_MODE": "archive"}


def test_resolver_rejects_unknown_reference(tmp_path: Path, moto: None) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(template, region=REGION, prefix=PREFIX)
    with pytest.raises(UnresolvableReferenceError, match="NoSuchResource"):
        resources.function_environment("BrokenFunction")


def test_conditional_table_skipped_when_condition_false(tmp_path: Path, moto: None) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(template, region=REGION, prefix=PREFIX)
    assert set(resources.table_names) == {"JobsTable"}


def test_conditional_table_created_when_condition_true(tmp_path: Path, moto: None) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(
        template, region=REGION, prefix=PREFIX, parameter_overrides={"WithArchive": "true"}
    )
    assert set(resources.table_names) == {"JobsTable", "ArchiveTable"}


def test_fifo_queue_keeps_fifo_attributes(tmp_path: Path, moto: None, sqs: Any) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    resources = create_local_resources(template, region=REGION, prefix=PREFIX)
    attributes = queue_attributes(sqs, resources.queue_urls["JobsQueue"])
    assert (attributes["FifoQueue"], attributes["ContentBasedDeduplication"]) == ("true", "true")


def test_function_spec_applies_globals_and_defaults(tmp_path: Path) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    job = describe_functions(template)["JobFunction"]
    assert job.timeout == 15
    assert job.sqs_events == (
        SqsEvent(
            name="Jobs",
            queue="JobsQueue",
            batch_size=10,
            maximum_batching_window_seconds=0,
            function_response_types=(),
        ),
    )
    assert job.schedule_events == (
        ScheduleEvent(name="Nightly", expression="cron(0 2 * * ? *)", enabled=False),
    )


def test_function_spec_leaves_out_other_event_types(tmp_path: Path) -> None:
    template = load_template(write_template(tmp_path, INTRINSICS_TEMPLATE))
    job = describe_functions(template)["JobFunction"]
    assert [event.name for event in job.events] == ["Jobs", "Nightly"]


# ---------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------


def test_rejects_account_other_than_moto(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials of an assumed role make STS report another account, as real
    # credentials would.
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/deployer", RoleSessionName="test")[
        "Credentials"
    ]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    with pytest.raises(NotLocalError, match="111111111111"):
        create_local_resources(load_template(), region=REGION, prefix=PREFIX)
