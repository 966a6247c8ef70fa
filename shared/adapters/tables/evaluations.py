"""Evaluations in Azure Tables: in the project's own partition key, newest first.

``RowKey = "{(10^13 - epoch ms):013d}-{evaluation id}"`` sorts newest first, so the history is one
partition query returning the first N rows. The write-back outcome is merged into the same row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import get_or_none, without_none
from shared.adapters.tables.projects import partition_key
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import ProjectKey
from shared.domain.solutions import SolutionRef

_EPOCH_SPAN = 10**13


def row_key(evaluation: Evaluation) -> str:
    millis = int(evaluation.evaluated_at.timestamp() * 1000)
    return f"{_EPOCH_SPAN - millis:013d}-{evaluation.evaluation_id}"


def _outcome_fields(outcome: WritebackOutcome) -> dict[str, Any]:
    return {
        "WritebackStatus": outcome.status.value,
        "WritebackField": outcome.field,
        "WritebackValue": outcome.value,
        "WritebackCode": outcome.code,
        "WritebackAt": outcome.at,
    }


def _from_entity(entity: Mapping[str, Any]) -> Evaluation:
    return Evaluation(
        evaluation_id=entity["EvaluationId"],
        solution=SolutionRef(id=entity["SolutionId"], version=int(entity["SolutionVersion"])),
        answers=dict(json.loads(entity["Answers"])),
        probability=Decimal(entity["Probability"]),
        evaluated_at=entity["EvaluatedAt"],
        evaluator=entity["Evaluator"],
        writeback=WritebackOutcome(
            status=WritebackStatus(entity.get("WritebackStatus", "pending")),
            field=entity.get("WritebackField"),
            value=entity.get("WritebackValue"),
            code=entity.get("WritebackCode"),
            at=entity.get("WritebackAt"),
        ),
    )


class TableEvaluationStore:
    def __init__(self, tables: Tables) -> None:
        self._tables = tables

    async def add(self, key: ProjectKey, evaluation: Evaluation) -> None:
        entity = {
            "PartitionKey": partition_key(key),
            "RowKey": row_key(evaluation),
            "EvaluationId": evaluation.evaluation_id,
            "SolutionId": evaluation.solution.id,
            "SolutionVersion": evaluation.solution.version,
            "Answers": json.dumps(evaluation.answers, sort_keys=True),
            # Stored as text: Edm.Double would lose the exact decimal.
            "Probability": str(evaluation.probability),
            "EvaluatedAt": evaluation.evaluated_at,
            "Evaluator": evaluation.evaluator,
            **_outcome_fields(evaluation.writeback),
        }

        async def op(table: TableClient) -> None:
            await table.create_entity(without_none(entity))

        await self._tables.run("evaluations", op)

    async def record_writeback(self, key: ProjectKey, evaluation: Evaluation) -> None:
        entity = {
            "PartitionKey": partition_key(key),
            "RowKey": row_key(evaluation),
            **_outcome_fields(evaluation.writeback),
        }

        async def op(table: TableClient) -> None:
            await table.update_entity(without_none(entity), mode=UpdateMode.MERGE)

        await self._tables.run("evaluations", op)

    async def latest(self, key: ProjectKey, *, limit: int = 20) -> list[Evaluation]:
        pk = partition_key(key)

        async def op(table: TableClient) -> list[Evaluation]:
            found: list[Evaluation] = []
            pages = table.query_entities(
                "PartitionKey eq @pk", parameters={"pk": pk}, results_per_page=limit
            ).by_page()
            async for page in pages:
                async for entity in page:
                    found.append(_from_entity(entity))
                    if len(found) >= limit:
                        return found
                break  # rows come newest first: the first page is all we need
            return found

        return await self._tables.run("evaluations", op)

    async def get(self, key: ProjectKey, evaluation_row: str) -> Evaluation | None:
        async def op(table: TableClient) -> Mapping[str, Any] | None:
            return await get_or_none(table, partition_key(key), evaluation_row)

        entity = await self._tables.run("evaluations", op)
        return None if entity is None else _from_entity(entity)
