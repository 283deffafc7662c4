"""Reliability and operations rules checked on template.yaml as written, before SAM transforms it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hubctl.local_stack import TEMPLATE_PATH, load_template

REPO_ROOT = TEMPLATE_PATH.parent
TEMPLATE = load_template()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBAL_FUNCTION: dict[str, Any] = TEMPLATE["Globals"]["Function"]

# AWS: a queue that triggers Lambda needs a visibility timeout of at least 6 times the
# function timeout, and a maxReceiveCount of at least 5 so that throttled or briefly
# failing messages stay out of the dead-letter queue.
VISIBILITY_TIMEOUT_FACTOR = 6
MIN_MAX_RECEIVE_COUNT = 5


def resources_of_type(resource_type: str) -> dict[str, dict[str, Any]]:
    return {logical_id: r for logical_id, r in RESOURCES.items() if r["Type"] == resource_type}


FUNCTIONS = resources_of_type("AWS::Serverless::Function")
LAYERS = resources_of_type("AWS::Serverless::LayerVersion")
QUEUES = resources_of_type("AWS::SQS::Queue")
TABLES = resources_of_type("AWS::DynamoDB::Table")
ALARMS = resources_of_type("AWS::CloudWatch::Alarm")


def function_setting(logical_id: str, name: str) -> Any:
    return FUNCTIONS[logical_id]["Properties"].get(name, GLOBAL_FUNCTION.get(name))


def referenced_id(value: Any) -> str | None:
    """Return the logical id behind `!Ref X` or `!GetAtt X.Attribute`, else None."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return None


def events_of_type(event_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Return (function id, event name, event properties) for every event of one type."""
    return [
        (function_id, name, event.get("Properties", {}))
        for function_id, function in FUNCTIONS.items()
        for name, event in function["Properties"].get("Events", {}).items()
        if event["Type"] == event_type
    ]


def consumers_of(queue_id: str) -> list[str]:
    return [
        function_id
        for function_id, _, properties in events_of_type("SQS")
        if referenced_id(properties["Queue"]) == queue_id
    ]


def dead_letter_queue_ids() -> set[str]:
    """Return every queue that receives failed messages, events or invocations."""
    targets = [
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
        for queue in QUEUES.values()
        if "RedrivePolicy" in queue["Properties"]
    ]
    targets += [
        properties["DeadLetterConfig"]["Arn"]
        for _, _, properties in events_of_type("ScheduleV2")
        if "Arn" in properties.get("DeadLetterConfig", {})
    ]
    targets += [
        function["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"]
        for function in FUNCTIONS.values()
        if "OnFailure" in function["Properties"].get("EventInvokeConfig", {}).get("DestinationConfig", {})
    ]
    return {queue_id for target in targets if (queue_id := referenced_id(target)) in QUEUES}


def alarms_on(namespace: str, metric: str, dimension: str, resource_id: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"]["Namespace"] == namespace
        and alarm["Properties"]["MetricName"] == metric
        and any(
            d["Name"] == dimension and referenced_id(d["Value"]) == resource_id
            for d in alarm["Properties"]["Dimensions"]
        )
    ]


def fires_on_one(alarm: dict[str, Any]) -> bool:
    """Return whether the alarm goes off when the metric reaches 1."""
    operator = alarm["ComparisonOperator"]
    threshold = float(alarm["Threshold"])
    return (operator == "GreaterThanOrEqualToThreshold" and threshold <= 1) or (
        operator == "GreaterThanThreshold" and threshold < 1
    )


def policy_statements(function_id: str) -> list[dict[str, Any]]:
    policies = FUNCTIONS[function_id]["Properties"].get("Policies", [])
    return [
        statement
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
    ]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def python_version(runtime: str) -> tuple[int, int]:
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime)
    assert match, f"runtime {runtime!r} is not a Python runtime"
    return int(match.group(1)), int(match.group(2))


REDRIVE_QUEUES = sorted(
    queue_id for queue_id, queue in QUEUES.items() if "RedrivePolicy" in queue["Properties"]
)
DEAD_LETTER_QUEUES = sorted(dead_letter_queue_ids())
SOURCE_QUEUES = sorted(set(QUEUES) - set(DEAD_LETTER_QUEUES))


# ---------------------------------------------------------------------------
# The template's shape
# ---------------------------------------------------------------------------


def test_template_declares_the_flow_functions() -> None:
    assert set(FUNCTIONS) == {
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


def test_template_declares_the_operations_functions() -> None:
    assert {"StatusReportFunction", "HeartbeatFunction"} <= set(FUNCTIONS)


def test_template_declares_the_shared_tables() -> None:
    assert set(TABLES) == {"ConnectionsTable", "LedgerTable", "CursorsTable", "ProductSyncTable"}


def test_template_has_dead_letter_queues() -> None:
    assert DEAD_LETTER_QUEUES


# ---------------------------------------------------------------------------
# Queues, dead-letter queues and their consumers
# ---------------------------------------------------------------------------


def test_sqs_events_report_batch_item_failures() -> None:
    for function_id, name, properties in events_of_type("SQS"):
        response_types = properties.get("FunctionResponseTypes", [])
        assert "ReportBatchItemFailures" in response_types, f"{function_id} event {name}"


def test_sqs_events_exist() -> None:
    assert events_of_type("SQS")


@pytest.mark.parametrize("queue_id", REDRIVE_QUEUES)
def test_redrive_queue_allows_five_receives(queue_id: str) -> None:
    redrive_policy = QUEUES[queue_id]["Properties"]["RedrivePolicy"]
    assert int(redrive_policy["maxReceiveCount"]) >= MIN_MAX_RECEIVE_COUNT


@pytest.mark.parametrize("queue_id", REDRIVE_QUEUES)
def test_redrive_queue_has_consumer(queue_id: str) -> None:
    assert consumers_of(queue_id)


@pytest.mark.parametrize("queue_id", REDRIVE_QUEUES)
def test_redrive_queue_visibility_covers_six_timeouts(queue_id: str) -> None:
    visibility_timeout = int(QUEUES[queue_id]["Properties"]["VisibilityTimeout"])
    for function_id in consumers_of(queue_id):
        timeout = int(function_setting(function_id, "Timeout"))
        assert visibility_timeout >= VISIBILITY_TIMEOUT_FACTOR * timeout, (
            f"{queue_id} consumed by {function_id}"
        )


@pytest.mark.parametrize("queue_id", SOURCE_QUEUES)
def test_source_queue_has_redrive_policy(queue_id: str) -> None:
    assert "RedrivePolicy" in QUEUES[queue_id]["Properties"]


@pytest.mark.parametrize("queue_id", REDRIVE_QUEUES)
def test_dead_letter_queue_outlives_source_retention(queue_id: str) -> None:
    # Retention counts from the first enqueue on the source queue, so a message that
    # reaches the dead-letter queue late must still have time left there.
    properties = QUEUES[queue_id]["Properties"]
    dead_letter_id = referenced_id(properties["RedrivePolicy"]["deadLetterTargetArn"])
    assert dead_letter_id is not None
    source_retention = int(properties.get("MessageRetentionPeriod", 345600))
    dead_letter_retention = int(QUEUES[dead_letter_id]["Properties"].get("MessageRetentionPeriod", 345600))
    assert dead_letter_retention > source_retention


@pytest.mark.parametrize("queue_id", DEAD_LETTER_QUEUES)
def test_dead_letter_queue_has_depth_alarm(queue_id: str) -> None:
    # NumberOfMessagesSent misses messages moved by a redrive policy, so depth is
    # watched on the visible messages.
    assert alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_id)


@pytest.mark.parametrize("queue_id", DEAD_LETTER_QUEUES)
def test_dead_letter_queue_alarm_fires_on_one_message(queue_id: str) -> None:
    for alarm in alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue_id):
        assert fires_on_one(alarm), alarm["AlarmDescription"]


@pytest.mark.parametrize("queue_id", SOURCE_QUEUES)
def test_source_queue_has_message_age_alarm(queue_id: str) -> None:
    assert alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", queue_id)


def test_schedule_events_have_dead_letter_queue() -> None:
    for function_id, name, properties in events_of_type("ScheduleV2"):
        queue_id = referenced_id(properties.get("DeadLetterConfig", {}).get("Arn"))
        assert queue_id in QUEUES, f"{function_id} event {name}"


# ---------------------------------------------------------------------------
# Functions: runtime, logs and alarms
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_runtime_is_python_312_or_newer(function_id: str) -> None:
    assert python_version(function_setting(function_id, "Runtime")) >= (3, 12)


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_architecture_is_arm64(function_id: str) -> None:
    assert function_setting(function_id, "Architectures") == ["arm64"]


@pytest.mark.parametrize("layer_id", sorted(LAYERS))
def test_layer_supports_function_runtime(layer_id: str) -> None:
    runtimes = {function_setting(function_id, "Runtime") for function_id in FUNCTIONS}
    assert runtimes <= set(LAYERS[layer_id]["Properties"]["CompatibleRuntimes"])


@pytest.mark.parametrize("layer_id", sorted(LAYERS))
def test_layer_architecture_is_arm64(layer_id: str) -> None:
    assert LAYERS[layer_id]["Properties"]["CompatibleArchitectures"] == ["arm64"]


def test_layer_makefile_installs_wheels_for_runtime() -> None:
    # shared/Makefile downloads wheels for one Python version, which must be the runtime's.
    makefile = (REPO_ROOT / "shared" / "Makefile").read_text(encoding="utf-8")
    major, minor = python_version(GLOBAL_FUNCTION["Runtime"])
    assert re.search(rf"^PYTHON_VERSION := {major}\.{minor}$", makefile, re.MULTILINE)


@pytest.mark.parametrize("logical_id", sorted({**FUNCTIONS, **LAYERS}))
def test_makefile_has_build_target_for_resource(logical_id: str) -> None:
    # `sam build` runs `make build-<LogicalId>` in the code folder when BuildMethod is makefile.
    properties = RESOURCES[logical_id]["Properties"]
    code_folder = REPO_ROOT / Path(properties.get("CodeUri") or properties["ContentUri"])
    makefile = (code_folder / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^build-{logical_id}:", makefile, re.MULTILINE)


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_logs_to_group_with_retention(function_id: str) -> None:
    log_group_id = referenced_id(
        FUNCTIONS[function_id]["Properties"].get("LoggingConfig", {}).get("LogGroup")
    )
    assert log_group_id in RESOURCES, f"{function_id} has no LoggingConfig.LogGroup in the template"
    log_group = RESOURCES[log_group_id]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert "RetentionInDays" in log_group["Properties"]


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_has_errors_alarm(function_id: str) -> None:
    assert alarms_on("AWS/Lambda", "Errors", "FunctionName", function_id)


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_has_throttles_alarm(function_id: str) -> None:
    assert alarms_on("AWS/Lambda", "Throttles", "FunctionName", function_id)


@pytest.mark.parametrize("alarm_id", sorted(ALARMS))
def test_alarm_notifies_alarm_topic(alarm_id: str) -> None:
    assert ALARMS[alarm_id]["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize("alarm_id", sorted(ALARMS))
def test_alarm_notifies_recovery(alarm_id: str) -> None:
    assert ALARMS[alarm_id]["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}]


# Alarms on a metric that is written on every scheduled run, zero included, so that its
# absence means the run itself stopped.
HEARTBEAT_ALARMS = sorted(
    alarm_id
    for alarm_id, alarm in ALARMS.items()
    if alarm["Properties"]["Namespace"] == "BemakersHub"
    and alarm["Properties"]["MetricName"] == "SilentConnections"
)


@pytest.mark.parametrize("alarm_id", sorted(set(ALARMS) - set(HEARTBEAT_ALARMS)))
def test_alarm_treats_missing_data_as_ok(alarm_id: str) -> None:
    # SQS and Lambda publish nothing while idle, which is not a failure.
    assert ALARMS[alarm_id]["Properties"]["TreatMissingData"] == "notBreaching"


def test_heartbeat_alarm_exists() -> None:
    assert HEARTBEAT_ALARMS == ["SilentConnectionsAlarm"]


@pytest.mark.parametrize("alarm_id", HEARTBEAT_ALARMS)
def test_heartbeat_alarm_treats_missing_data_as_breaching(alarm_id: str) -> None:
    assert ALARMS[alarm_id]["Properties"]["TreatMissingData"] == "breaching"


@pytest.mark.parametrize("alarm_id", HEARTBEAT_ALARMS)
def test_heartbeat_alarm_has_no_connection_dimension(alarm_id: str) -> None:
    # A dimension per connection would be a billed metric and an alarm per connection.
    names = {dimension["Name"] for dimension in ALARMS[alarm_id]["Properties"]["Dimensions"]}
    assert names == {"environment", "service"}


def test_heartbeat_schedule_runs_more_often_than_alarm_period() -> None:
    schedule = FUNCTIONS["HeartbeatFunction"]["Properties"]["Events"]["Heartbeat"]["Properties"]
    alarm = ALARMS["SilentConnectionsAlarm"]["Properties"]
    assert (schedule["ScheduleExpression"], alarm["Period"]) == ("rate(1 hour)", 3600)


def test_alarm_email_subscription_is_conditional() -> None:
    subscriptions = resources_of_type("AWS::SNS::Subscription")
    alarm_subscriptions = [
        subscription
        for subscription in subscriptions.values()
        if subscription["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}
    ]
    assert alarm_subscriptions
    assert all(subscription.get("Condition") == "HasAlarmEmail" for subscription in alarm_subscriptions)


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_scopes_data_actions_to_resources(function_id: str) -> None:
    for statement in policy_statements(function_id):
        actions = as_list(statement["Action"])
        if not any(action.startswith(("dynamodb:", "sqs:")) for action in actions):
            continue
        assert "*" not in as_list(statement["Resource"]), f"{function_id}: {actions}"


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_names_data_actions(function_id: str) -> None:
    for statement in policy_statements(function_id):
        for action in as_list(statement["Action"]):
            assert action not in ("dynamodb:*", "sqs:*", "*"), function_id


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_uses_only_inline_statements(function_id: str) -> None:
    # SAM policy templates and managed policies would bring actions this file cannot check.
    policies = FUNCTIONS[function_id]["Properties"].get("Policies", [])
    assert all(isinstance(policy, dict) and set(policy) == {"Statement"} for policy in policies)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_table_bills_on_demand(table_id: str) -> None:
    assert TABLES[table_id]["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_table_has_point_in_time_recovery(table_id: str) -> None:
    specification = TABLES[table_id]["Properties"].get("PointInTimeRecoverySpecification", {})
    assert specification.get("PointInTimeRecoveryEnabled") is True


@pytest.mark.parametrize("table_id", sorted(TABLES))
def test_table_survives_stack_deletion(table_id: str) -> None:
    assert TABLES[table_id].get("DeletionPolicy") == "Retain"


def test_ledger_ttl_attribute_is_expires_at() -> None:
    ttl = TABLES["LedgerTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl["AttributeName"] == "expires_at"


def test_ledger_ttl_is_enabled() -> None:
    ttl = TABLES["LedgerTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl["Enabled"] is True


# ---------------------------------------------------------------------------
# Warehouse flows
# ---------------------------------------------------------------------------

# Custom metrics that stand for a document the hub could not deliver. Each needs an alarm.
ALARMED_HUB_METRICS = [
    "WarehouseChangesRefused",
    "NegativeStockLevels",
    "FulfillmentsFailed",
    "ZettleCredentialsRejected",
]


@pytest.mark.parametrize("metric", ALARMED_HUB_METRICS)
def test_hub_metric_has_alarm(metric: str) -> None:
    alarms = [
        alarm["Properties"]
        for alarm in ALARMS.values()
        if alarm["Properties"]["Namespace"] == "BemakersHub" and alarm["Properties"]["MetricName"] == metric
    ]
    assert alarms, metric
    assert all(fires_on_one(alarm) for alarm in alarms)


@pytest.mark.parametrize("metric", ALARMED_HUB_METRICS)
def test_hub_metric_alarm_uses_service_dimension(metric: str) -> None:
    # Powertools Metrics adds the service as the only default dimension.
    for alarm in ALARMS.values():
        properties = alarm["Properties"]
        if properties["MetricName"] == metric:
            assert properties["Dimensions"] == [{"Name": "service", "Value": "bemakers-hub"}]


def test_ongoing_webhook_route_reaches_fulfillment_import() -> None:
    routes = [
        (function_id, properties["Path"])
        for function_id, _, properties in events_of_type("HttpApi")
        if properties["Path"].startswith("/webhooks/ongoing/")
    ]
    assert routes == [("FulfillmentImportFunction", "/webhooks/ongoing/{connection_id}")]


def test_zettle_webhook_route_reaches_inventory_import() -> None:
    routes = [
        (function_id, properties["Path"])
        for function_id, _, properties in events_of_type("HttpApi")
        if properties["Path"].startswith("/webhooks/zettle/")
    ]
    assert routes == [("InventoryImportFunction", "/webhooks/zettle/{connection_id}")]


@pytest.mark.parametrize("function_id", ["FulfillmentImportFunction", "InventoryImportFunction"])
def test_import_function_runs_on_schedule(function_id: str) -> None:
    assert [name for owner, name, _ in events_of_type("ScheduleV2") if owner == function_id]


@pytest.mark.parametrize("function_id", ["FulfillmentImportFunction", "InventoryImportFunction"])
def test_import_failures_reach_dead_letter_queue(function_id: str) -> None:
    destination = FUNCTIONS[function_id]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
    assert referenced_id(destination["Destination"]) in DEAD_LETTER_QUEUES


def test_inventory_import_may_only_batch_the_ledger() -> None:
    # It reads and writes pushed stock levels, and never takes a transfer lease.
    actions = {
        action
        for statement in policy_statements("InventoryImportFunction")
        if referenced_id(statement["Resource"]) == "LedgerTable"
        for action in as_list(statement["Action"])
    }
    assert actions == {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"}


def test_ledger_has_by_connection_index() -> None:
    indexes = {
        index["IndexName"]: index for index in TABLES["LedgerTable"]["Properties"]["GlobalSecondaryIndexes"]
    }
    keys = {key["KeyType"]: key["AttributeName"] for key in indexes["ByConnection"]["KeySchema"]}
    assert keys == {"HASH": "by_connection", "RANGE": "by_connection_sort"}


# ---------------------------------------------------------------------------
# Notifications and dashboard
# ---------------------------------------------------------------------------

TOPICS = resources_of_type("AWS::SNS::Topic")


@pytest.mark.parametrize("topic_id", sorted(TOPICS))
def test_topic_is_encrypted(topic_id: str) -> None:
    assert "KmsMasterKeyId" in TOPICS[topic_id]["Properties"]


def test_notification_subscription_is_conditional() -> None:
    subscription = RESOURCES["NotificationEmailSubscription"]
    assert subscription.get("Condition") == "HasNotificationEmail"


@pytest.mark.parametrize("function_id", sorted(FUNCTIONS))
def test_function_publishes_only_to_notification_topic(function_id: str) -> None:
    for statement in policy_statements(function_id):
        if "sns:Publish" in as_list(statement["Action"]):
            assert statement["Resource"] == {"Ref": "NotificationTopic"}, function_id


def dashboard_body() -> str:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]
    return str(body["Fn::Sub"])


@pytest.mark.parametrize(
    "metric",
    [
        "TransferSteps",
        "TransferDuration",
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
    ],
)
def test_dashboard_shows_metric(metric: str) -> None:
    assert f'"{metric}' in dashboard_body() or f'\\"{metric}\\"' in dashboard_body()


@pytest.mark.parametrize("queue_id", sorted(QUEUES))
def test_dashboard_shows_queue_depth(queue_id: str) -> None:
    assert f"${{{queue_id}.QueueName}}" in dashboard_body()


def test_dashboard_uses_no_id_dimensions() -> None:
    # Order, customer and connection ids would be a metric per value.
    body = dashboard_body()
    assert all(name not in body for name in ("order_id", "connection_id", "document_id", "customer"))
