"""Dataverse Web API adapter: the ``CrmGateway`` implementation (``gateway``), its one retry policy
(``transport``), the column metadata cache (``metadata``), JSON ↔ domain (``mapping``) and error
normalisation (``errors``)."""

from shared.adapters.dataverse.errors import domain_error
from shared.adapters.dataverse.gateway import DataverseGateway
from shared.adapters.dataverse.mapping import number_literal
from shared.adapters.dataverse.transport import RetryPolicy, parse_retry_after

__all__ = [
    "DataverseGateway",
    "RetryPolicy",
    "domain_error",
    "number_literal",
    "parse_retry_after",
]
