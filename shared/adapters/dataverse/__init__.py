"""Dataverse Web API adapter: the ``CrmGateway`` implementation, its retry policy, error mapping
and a ``$batch`` body builder/parser."""

from shared.adapters.dataverse.batch import (
    BatchFormatError,
    BatchOperation,
    BatchResponsePart,
    ChangeSet,
    build_batch,
    parse_batch_response,
)
from shared.adapters.dataverse.errors import domain_error
from shared.adapters.dataverse.gateway import DataverseGateway, number_literal
from shared.adapters.dataverse.retry import RetryPolicy, parse_retry_after

__all__ = [
    "BatchFormatError",
    "BatchOperation",
    "BatchResponsePart",
    "ChangeSet",
    "DataverseGateway",
    "RetryPolicy",
    "build_batch",
    "domain_error",
    "number_literal",
    "parse_batch_response",
    "parse_retry_after",
]
