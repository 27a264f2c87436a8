"""The upstream grpcecho protobuf schema, built at runtime (same package, names and numbers)."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = [
    "FILE_NAME",
    "PACKAGE",
    "SERVICE",
    "SERVICE_NAME",
    "EchoRequest",
    "EchoResponse",
    "message_class",
]

FILE_NAME = "grpcecho.proto"
PACKAGE = "gateway_api_conformance.echo_basic.grpcecho"
SERVICE_NAME = "GrpcEcho"
SERVICE = f"{PACKAGE}.{SERVICE_NAME}"

_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_REPEATED = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED

# message name -> [(field name, number, type, label, message type name or "")]
_MESSAGES: dict[str, list[tuple[str, int, int, int, str]]] = {
    "Header": [("key", 1, _STRING, _OPTIONAL, ""), ("value", 2, _STRING, _OPTIONAL, "")],
    "Context": [
        ("namespace", 1, _STRING, _OPTIONAL, ""),
        ("ingress", 2, _STRING, _OPTIONAL, ""),
        ("service_name", 3, _STRING, _OPTIONAL, ""),
        ("pod", 4, _STRING, _OPTIONAL, ""),
    ],
    "TLSAssertions": [
        ("version", 1, _STRING, _OPTIONAL, ""),
        ("negotiated_protocol", 2, _STRING, _OPTIONAL, ""),
        ("server_name", 3, _STRING, _OPTIONAL, ""),
        ("cipher_suite", 4, _STRING, _OPTIONAL, ""),
        ("peer_certificates", 5, _STRING, _REPEATED, ""),
    ],
    "Assertions": [
        ("fully_qualified_method", 1, _STRING, _OPTIONAL, ""),
        ("headers", 2, _MESSAGE, _REPEATED, "Header"),
        ("authority", 3, _STRING, _OPTIONAL, ""),
        ("context", 4, _MESSAGE, _OPTIONAL, "Context"),
        ("tls_assertions", 5, _MESSAGE, _OPTIONAL, "TLSAssertions"),
    ],
    "EchoRequest": [],
    "EchoResponse": [
        ("assertions", 1, _MESSAGE, _OPTIONAL, "Assertions"),
        ("request", 2, _MESSAGE, _OPTIONAL, "EchoRequest"),
    ],
}
_METHODS = ("Echo", "EchoTwo", "EchoThree")


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(name=FILE_NAME, package=PACKAGE, syntax="proto3")
    for message_name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=message_name)
        for field_name, number, field_type, label, type_name in fields:
            field = message.field.add(name=field_name, number=number, type=field_type, label=label)
            field.json_name = "".join(
                part if i == 0 else part.capitalize()
                for i, part in enumerate(field_name.split("_"))
            )
            if type_name:
                field.type_name = f".{PACKAGE}.{type_name}"
    service = proto.service.add(name=SERVICE_NAME)
    for method in _METHODS:
        service.method.add(
            name=method,
            input_type=f".{PACKAGE}.EchoRequest",
            output_type=f".{PACKAGE}.EchoResponse",
        )
    return proto


# A private pool keeps us clear of any generated module registering the same file.
_POOL = descriptor_pool.DescriptorPool()
_FILE = _POOL.Add(_file_descriptor())


def message_class(name: str) -> Any:
    """The generated message class of a message in the grpcecho package."""
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))


EchoRequest: Any = message_class("EchoRequest")
EchoResponse: Any = message_class("EchoResponse")
