"""Recreate template.yaml's DynamoDB tables, SQS queues and SNS topics on moto, and describe its functions.

`sam local` needs Docker, so local runs and tests read the SAM template themselves. Each
table and queue is created from its own properties, and each function's environment is
the template's, with references to tables, queues and parameters resolved to the local
resources. No table, queue or function name is written here: they all come from the
template.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"

# moto's default account. MOTO_ACCOUNT_ID changes it, in moto and here.
_MOTO_DEFAULT_ACCOUNT_ID = "123456789012"

# Lambda's timeout when neither the function nor Globals sets one.
_LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3

# Long-form key of each short-form CloudFormation YAML tag.
_INTRINSIC_KEYS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "And",
            "Base64",
            "Cidr",
            "Equals",
            "FindInMap",
            "GetAtt",
            "GetAZs",
            "If",
            "ImportValue",
            "Join",
            "Length",
            "Not",
            "Or",
            "Select",
            "Split",
            "Sub",
            "ToJsonString",
            "Transform",
        )
    },
}

# AWS::SQS::Queue properties that have an SQS queue attribute of the same name.
# KmsMasterKeyId and KmsDataKeyReusePeriodSeconds are left out because a local queue
# has no KMS key to point at.
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class _NoValue:
    """Marker for `!Ref AWS::NoValue`, whose enclosing key or list item is dropped."""


_NO_VALUE = _NoValue()


class UnresolvableReferenceError(ValueError):
    """A reference or intrinsic function in the template that the local stack cannot resolve."""


class NotLocalError(RuntimeError):
    """The AWS endpoint in use is not moto, so creating resources there could touch a real account."""


# ---------------------------------------------------------------------------
# Reading the template
# ---------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short-form tags as their JSON long form.

    `!Ref X` becomes `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`
    and `!Sub s` becomes `{"Fn::Sub": "s"}`, so the result is the same data as the
    template written in JSON.
    """


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _INTRINSIC_KEYS.get(tag_suffix)
    if key is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown CloudFormation tag !{tag_suffix}", node.start_mark
        )

    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]

    # The short form of GetAtt is one string and the long form is [resource, attribute].
    # Only the first dot separates them, because attributes such as Endpoint.Address
    # contain dots.
    if key == "Fn::GetAtt" and isinstance(value, str):
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {key: value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """Parse a CloudFormation or SAM YAML template into plain data.

    Raises ValueError when the file is not a template with a Resources section.
    """
    with path.open(encoding="utf-8") as stream:
        loader = CloudFormationLoader(stream)
        try:
            template = loader.get_single_data()
        finally:
            loader.dispose()

    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise ValueError(f"{path} is not a CloudFormation template: it has no Resources mapping")
    return template


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return each template parameter's value: its Default, replaced by `overrides` where given.

    Parameters without a Default and without an override are left out. Raises KeyError
    for an override that names no parameter of the template.
    """
    declared: Mapping[str, Any] = template.get("Parameters") or {}
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        raise KeyError(f"parameter overrides name no template parameter: {', '.join(unknown)}")

    values = {
        name: _to_environment_string(spec["Default"])
        for name, spec in declared.items()
        if isinstance(spec, dict) and "Default" in spec
    }
    values.update(overrides or {})
    return values


def _to_environment_string(value: Any) -> str:
    # CloudFormation writes booleans in lower case when it turns them into strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------
# Resolving intrinsic functions
# ---------------------------------------------------------------------------


@dataclass
class _Resolver:
    """Resolver of references and intrinsic functions against parameters and the resources created so far."""

    parameters: Mapping[str, str]
    conditions: Mapping[str, Any]
    references: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]

        if not isinstance(value, dict):
            return value

        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                resource, attribute = argument
                return self._get_att(resource, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                delimiter, items = argument
                return delimiter.join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                delimiter, text = argument
                return str(self.resolve(text)).split(delimiter)
            if key == "Fn::If":
                condition_name, if_true, if_false = argument
                return self.resolve(if_true if self.is_true(condition_name) else if_false)
            if key.startswith("Fn::"):
                raise UnresolvableReferenceError(f"{key} is not supported by the local stack")

        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def is_true(self, condition_name: str) -> bool:
        """Evaluate a condition of the template's Conditions section."""
        if condition_name not in self.conditions:
            raise UnresolvableReferenceError(f"condition {condition_name!r} is not in the template")
        return self._evaluate(self.conditions[condition_name])

    def _evaluate(self, expression: Any) -> bool:
        ((key, argument),) = expression.items()
        if key == "Condition":
            return self.is_true(argument)
        if key == "Fn::Equals":
            left, right = (_to_environment_string(self.resolve(item)) for item in argument)
            return left == right
        if key == "Fn::Not":
            return not self._evaluate(argument[0])
        if key == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if key == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        raise UnresolvableReferenceError(f"{key} is not a condition function")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.references:
            return self.references[name]
        raise UnresolvableReferenceError(
            f"cannot resolve !Ref {name}: it is not a local table or queue, nor a parameter "
            "with a default or override"
        )

    def _get_att(self, resource: str, attribute: str) -> str:
        try:
            return self.attributes[(resource, attribute)]
        except KeyError:
            raise UnresolvableReferenceError(
                f"cannot resolve !GetAtt {resource}.{attribute}: not an attribute of a local table or queue"
            ) from None

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, list):
            text, variables = argument
        else:
            text, variables = argument, {}
        resolved_variables = {name: self.resolve(value) for name, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            # ${!Name} is the escape for a literal ${Name}.
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in resolved_variables:
                return str(resolved_variables[name])
            if "." in name and name not in self.parameters:
                resource, _, attribute = name.partition(".")
                return self._get_att(resource, attribute)
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)


def _pseudo_parameters(region: str, account_id: str, stack_name: str) -> dict[str, str]:
    return {
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws",
        "AWS::Region": region,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/local",
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": "amazonaws.com",
    }


def _resources_of_type(
    template: Mapping[str, Any], resource_type: str, resolver: _Resolver
) -> dict[str, dict[str, Any]]:
    """Return the properties of each resource of one type whose Condition, if any, holds."""
    selected = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != resource_type:
            continue
        condition = resource.get("Condition")
        if condition is not None and not resolver.is_true(condition):
            continue
        selected[logical_id] = resource.get("Properties") or {}
    return selected


# ---------------------------------------------------------------------------
# Functions and their events
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpApiEvent:
    """A route of an HTTP API that invokes the function."""

    name: str
    method: str
    """HTTP method in upper case. ANY matches every method."""
    path: str
    """Route path with `{name}` path parameters, for example `/webhooks/bemakers/{connection_id}`."""
    api_id: str | None
    """Logical id of the AWS::Serverless::HttpApi, or None for SAM's implicit API."""


@dataclass(frozen=True)
class SqsEvent:
    """An SQS event source mapping that delivers batches of messages to the function."""

    name: str
    queue: str
    """Logical id of the AWS::SQS::Queue."""
    batch_size: int
    maximum_batching_window_seconds: int
    function_response_types: tuple[str, ...]

    @property
    def reports_batch_item_failures(self) -> bool:
        """Whether the function returns `batchItemFailures` instead of failing the whole batch."""
        return "ReportBatchItemFailures" in self.function_response_types


@dataclass(frozen=True)
class ScheduleEvent:
    """An EventBridge schedule (Schedule or ScheduleV2) that invokes the function."""

    name: str
    expression: str
    """Schedule expression such as `rate(5 minutes)` or `cron(0 6 * * ? *)`."""
    enabled: bool


FunctionEvent = HttpApiEvent | SqsEvent | ScheduleEvent


@dataclass(frozen=True)
class FunctionSpec:
    """An AWS::Serverless::Function with Globals applied."""

    logical_id: str
    code_uri: str
    """Folder of the function's code, relative to the template's folder."""
    handler: str
    """Handler as Lambda reads it: `module.function`."""
    timeout: int
    """Timeout in seconds."""
    events: tuple[FunctionEvent, ...]
    """Event sources of the types HttpApi, SQS, Schedule and ScheduleV2. Other types are left out."""

    @property
    def http_api_events(self) -> tuple[HttpApiEvent, ...]:
        return tuple(event for event in self.events if isinstance(event, HttpApiEvent))

    @property
    def sqs_events(self) -> tuple[SqsEvent, ...]:
        return tuple(event for event in self.events if isinstance(event, SqsEvent))

    @property
    def schedule_events(self) -> tuple[ScheduleEvent, ...]:
        return tuple(event for event in self.events if isinstance(event, ScheduleEvent))


def describe_functions(
    template: Mapping[str, Any], *, parameter_overrides: Mapping[str, str] | None = None
) -> dict[str, FunctionSpec]:
    """Describe each AWS::Serverless::Function by logical id, without creating any resource.

    Schedule expressions that reference a parameter get its default or override.
    """
    resolver = _Resolver(
        parameters=parameter_values(template, parameter_overrides),
        conditions=template.get("Conditions") or {},
    )
    return _describe_functions(template, resolver)


def _describe_functions(template: Mapping[str, Any], resolver: _Resolver) -> dict[str, FunctionSpec]:
    global_properties: Mapping[str, Any] = (template.get("Globals") or {}).get("Function") or {}
    functions = _resources_of_type(template, "AWS::Serverless::Function", resolver)

    specs = {}
    for logical_id, properties in functions.items():

        def setting(name: str, default: Any, properties: Mapping[str, Any] = properties) -> Any:
            return resolver.resolve(properties.get(name, global_properties.get(name, default)))

        events = tuple(
            event
            for name, source in (properties.get("Events") or {}).items()
            if (event := _describe_event(name, source, resolver)) is not None
        )
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=str(setting("CodeUri", ".")),
            handler=str(setting("Handler", "")),
            timeout=int(setting("Timeout", _LAMBDA_DEFAULT_TIMEOUT_SECONDS)),
            events=events,
        )
    return specs


def _describe_event(name: str, source: Mapping[str, Any], resolver: _Resolver) -> FunctionEvent | None:
    event_type = source.get("Type")
    properties: Mapping[str, Any] = source.get("Properties") or {}

    if event_type == "HttpApi":
        api = properties.get("ApiId")
        return HttpApiEvent(
            name=name,
            method=str(properties.get("Method", "ANY")).upper(),
            path=str(properties.get("Path", "$default")),
            api_id=api["Ref"] if isinstance(api, dict) and "Ref" in api else None,
        )

    if event_type == "SQS":
        return SqsEvent(
            name=name,
            queue=_queue_logical_id(name, properties.get("Queue")),
            batch_size=int(resolver.resolve(properties.get("BatchSize", 10))),
            maximum_batching_window_seconds=int(
                resolver.resolve(properties.get("MaximumBatchingWindowInSeconds", 0))
            ),
            function_response_types=tuple(resolver.resolve(properties.get("FunctionResponseTypes", []))),
        )

    if event_type in ("Schedule", "ScheduleV2"):
        # ScheduleV2 has State (ENABLED or DISABLED), and Schedule has Enabled (default true).
        if "State" in properties:
            enabled = resolver.resolve(properties["State"]) == "ENABLED"
        else:
            enabled = _to_environment_string(resolver.resolve(properties.get("Enabled", True))) == "true"
        expression_key = "Schedule" if event_type == "Schedule" else "ScheduleExpression"
        return ScheduleEvent(
            name=name,
            expression=str(resolver.resolve(properties[expression_key])),
            enabled=enabled,
        )

    return None


def _queue_logical_id(event_name: str, queue: Any) -> str:
    if isinstance(queue, dict) and "Fn::GetAtt" in queue:
        resource, attribute = queue["Fn::GetAtt"]
        if attribute == "Arn":
            return str(resource)
    raise UnresolvableReferenceError(
        f"SQS event {event_name}: Queue must be !GetAtt <queue>.Arn of a queue in the template, got {queue!r}"
    )


# ---------------------------------------------------------------------------
# Local tables and queues
# ---------------------------------------------------------------------------


@dataclass
class LocalResources:
    """The template's tables and queues as created on moto, and what functions need to use them."""

    template: dict[str, Any]
    region: str
    prefix: str
    account_id: str
    parameters: dict[str, str]
    """Parameter values: defaults, replaced by the overrides given at creation."""
    table_names: dict[str, str] = field(default_factory=dict)
    """Physical table name by logical id."""
    queue_urls: dict[str, str] = field(default_factory=dict)
    """Queue URL by logical id."""
    queue_arns: dict[str, str] = field(default_factory=dict)
    """Queue ARN by logical id."""
    topic_arns: dict[str, str] = field(default_factory=dict)
    """SNS topic ARN by logical id."""

    def function_environment(
        self, logical_id: str, *, parameter_overrides: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Return a function's environment variables as Lambda would set them.

        Globals' variables are merged with the function's own, which win. References to
        tables and queues resolve to the local names and URLs, references to parameters
        to `self.parameters` updated with `parameter_overrides`. Raises KeyError for a
        logical id that is not a function of the template.
        """
        resolver = self._resolver(parameter_overrides)
        functions = _resources_of_type(self.template, "AWS::Serverless::Function", resolver)
        if logical_id not in functions:
            raise KeyError(
                f"{logical_id!r} is not a function of the template. Functions: {', '.join(functions)}"
            )

        global_properties = (self.template.get("Globals") or {}).get("Function") or {}
        variables = {
            **((global_properties.get("Environment") or {}).get("Variables") or {}),
            **((functions[logical_id].get("Environment") or {}).get("Variables") or {}),
        }
        resolved = resolver.resolve(variables)
        return {name: _to_environment_string(value) for name, value in resolved.items()}

    def functions(self, *, parameter_overrides: Mapping[str, str] | None = None) -> dict[str, FunctionSpec]:
        """Describe each AWS::Serverless::Function by logical id (see `describe_functions`)."""
        return _describe_functions(self.template, self._resolver(parameter_overrides))

    def _resolver(self, parameter_overrides: Mapping[str, str] | None) -> _Resolver:
        parameters = parameter_values(self.template, {**self.parameters, **(parameter_overrides or {})})
        resolver = _Resolver(
            parameters={**parameters, **_pseudo_parameters(self.region, self.account_id, self.prefix)},
            conditions=self.template.get("Conditions") or {},
        )
        _register_tables(resolver, self.table_names, self.region, self.account_id)
        _register_queues(resolver, self.queue_urls, self.queue_arns)
        _register_topics(resolver, self.topic_arns)
        return resolver


def create_local_resources(
    template: dict[str, Any],
    *,
    region: str = "eu-west-1",
    prefix: str = "local",
    parameter_overrides: Mapping[str, str] | None = None,
) -> LocalResources:
    """Create every AWS::DynamoDB::Table and AWS::SQS::Queue of the template on moto.

    SNS topics are created too, so that functions' references to them resolve.

    The caller must have moto active: in-process with `moto.mock_aws`, or a moto server
    reached through AWS_ENDPOINT_URL. Raises NotLocalError when STS reports an account
    other than moto's, so that a missing mock never creates resources in a real account.

    A resource is named `<prefix>-<logical id>`, with `.fifo` added for FIFO queues.
    Tables get their key schema, attribute definitions, billing mode, indexes, stream
    and TTL. Point-in-time recovery and encryption settings are skipped because they do
    not change what a function reads or writes. Queues get their attributes, and a
    RedrivePolicy points at the local dead-letter queue. Raises botocore's ClientError
    when a table of the same name already exists: use a fresh moto backend or another
    prefix.
    """
    session = boto3.session.Session(region_name=region)
    account_id = _moto_account_id(session)
    parameters = parameter_values(template, parameter_overrides)
    resolver = _Resolver(
        parameters={**parameters, **_pseudo_parameters(region, account_id, prefix)},
        conditions=template.get("Conditions") or {},
    )
    resources = LocalResources(
        template=template, region=region, prefix=prefix, account_id=account_id, parameters=parameters
    )

    dynamodb = session.client("dynamodb")
    for logical_id, properties in _resources_of_type(template, "AWS::DynamoDB::Table", resolver).items():
        name = f"{prefix}-{logical_id}"
        _create_table(dynamodb, name, properties, resolver)
        resources.table_names[logical_id] = name
    _register_tables(resolver, resources.table_names, region, account_id)

    _create_queues(session.client("sqs"), template, resolver, resources)
    _create_topics(session.client("sns"), template, resolver, resources)
    return resources


def _moto_account_id(session: boto3.session.Session) -> str:
    account_id = str(session.client("sts").get_caller_identity()["Account"])
    expected = os.environ.get("MOTO_ACCOUNT_ID", _MOTO_DEFAULT_ACCOUNT_ID)
    if account_id != expected:
        raise NotLocalError(
            f"STS reports account {account_id}, not moto's {expected}. Start moto with moto.mock_aws "
            "or point AWS_ENDPOINT_URL at a moto server before creating local resources."
        )
    return account_id


def _register_tables(
    resolver: _Resolver, table_names: Mapping[str, str], region: str, account_id: str
) -> None:
    for logical_id, name in table_names.items():
        resolver.references[logical_id] = name
        resolver.attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{region}:{account_id}:table/{name}"


def _register_queues(
    resolver: _Resolver, queue_urls: Mapping[str, str], queue_arns: Mapping[str, str]
) -> None:
    for logical_id, url in queue_urls.items():
        arn = queue_arns[logical_id]
        resolver.references[logical_id] = url
        resolver.attributes[(logical_id, "Arn")] = arn
        resolver.attributes[(logical_id, "QueueUrl")] = url
        resolver.attributes[(logical_id, "QueueName")] = arn.rsplit(":", 1)[-1]


def _register_topics(resolver: _Resolver, topic_arns: Mapping[str, str]) -> None:
    for logical_id, arn in topic_arns.items():
        resolver.references[logical_id] = arn
        resolver.attributes[(logical_id, "TopicArn")] = arn
        resolver.attributes[(logical_id, "TopicName")] = arn.rsplit(":", 1)[-1]


def _create_topics(
    sns: Any, template: Mapping[str, Any], resolver: _Resolver, resources: LocalResources
) -> None:
    """Create every SNS topic, without its KMS key or subscriptions, named `<prefix>-<logical id>`."""
    for logical_id in _resources_of_type(template, "AWS::SNS::Topic", resolver):
        arn = sns.create_topic(Name=f"{resources.prefix}-{logical_id}")["TopicArn"]
        resources.topic_arns[logical_id] = arn
    _register_topics(resolver, resources.topic_arns)


def _create_table(dynamodb: Any, name: str, properties: Mapping[str, Any], resolver: _Resolver) -> None:
    billing_mode = resolver.resolve(properties.get("BillingMode", "PROVISIONED"))
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": resolver.resolve(properties["KeySchema"]),
        "AttributeDefinitions": resolver.resolve(properties["AttributeDefinitions"]),
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        request["ProvisionedThroughput"] = resolver.resolve(properties["ProvisionedThroughput"])

    for index_kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if index_kind in properties:
            request[index_kind] = [
                {key: value for key, value in index.items() if key != "ContributorInsightsSpecification"}
                for index in resolver.resolve(properties[index_kind])
            ]

    # In CloudFormation a table has a stream when StreamSpecification is present, but
    # the API also requires StreamEnabled.
    if "StreamSpecification" in properties:
        stream = resolver.resolve(properties["StreamSpecification"])
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}

    dynamodb.create_table(**request)
    dynamodb.get_waiter("table_exists").wait(TableName=name)

    time_to_live = resolver.resolve(properties.get("TimeToLiveSpecification") or {})
    if _to_environment_string(time_to_live.get("Enabled", False)) == "true":
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": time_to_live["AttributeName"], "Enabled": True},
        )


def _create_queues(
    sqs: Any, template: Mapping[str, Any], resolver: _Resolver, resources: LocalResources
) -> None:
    """Create every queue, then set redrive policies, so each dead-letter queue exists first."""
    queues = _resources_of_type(template, "AWS::SQS::Queue", resolver)

    for logical_id, properties in queues.items():
        attributes = {
            name: _to_environment_string(resolver.resolve(properties[name]))
            for name in _QUEUE_ATTRIBUTES
            if name in properties
        }
        suffix = ".fifo" if attributes.get("FifoQueue") == "true" else ""
        name = f"{resources.prefix}-{logical_id}{suffix}"
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        created = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        resources.queue_urls[logical_id] = url
        resources.queue_arns[logical_id] = created["QueueArn"]
    _register_queues(resolver, resources.queue_urls, resources.queue_arns)

    for logical_id, properties in queues.items():
        policies = {
            name: _policy_json(resolver.resolve(properties[name]))
            for name in ("RedrivePolicy", "RedriveAllowPolicy")
            if name in properties
        }
        if policies:
            sqs.set_queue_attributes(QueueUrl=resources.queue_urls[logical_id], Attributes=policies)


def _policy_json(policy: Any) -> str:
    # CloudFormation takes a redrive policy as a JSON object or as a JSON string.
    return policy if isinstance(policy, str) else json.dumps(policy)
