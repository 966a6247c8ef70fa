"""Evaluations in Azure Tables: in the project's own partition, newest first.

``RowKey = "{MAX_SEQ - seq:010d}"``: the project's sequence number, inverted so the history is one
partition query returning the first N rows. Appending reads the newest row and inserts the next
number; Insert Entity fails with 409 when that number was taken meanwhile, so concurrent appends
get distinct numbers and the order is decided by storage, never by the clocks of instances.
The write-back outcome is replaced (not merged) on the same row, so it always describes its last
attempt.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient

from shared.adapters.tables.client import Tables
from shared.adapters.tables.common import without_none
from shared.adapters.tables.projects import partition_key
from shared.domain.errors import Conflict
from shared.domain.evaluations import Evaluation, WritebackOutcome, WritebackStatus
from shared.domain.projects import ProjectKey
from shared.domain.solutions import SolutionRef

MAX_SEQ = 10**10 - 1
# Double clicks and concurrent colleagues: each lost race costs one read and one insert.
APPEND_ATTEMPTS = 25


def row_key(seq: int) -> str:
    return f"{MAX_SEQ - seq:010d}"


def _outcome_fields(outcome: WritebackOutcome) -> dict[str, Any]:
    return {
        "WritebackStatus": outcome.status.value,
        "WritebackField": outcome.field,
        "WritebackValue": outcome.value,
        "WritebackCode": outcome.code,
        "WritebackAt": outcome.at,
    }


def _entity(key: ProjectKey, evaluation: Evaluation) -> dict[str, Any]:
    return without_none(
        {
            "PartitionKey": partition_key(key),
            "RowKey": row_key(evaluation.seq),
            "Seq": evaluation.seq,
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
    )


def _from_entity(entity: Mapping[str, Any]) -> Evaluation:
    return Evaluation(
        evaluation_id=entity["EvaluationId"],
        seq=int(entity["Seq"]),
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

    async def append(self, key: ProjectKey, evaluation: Evaluation) -> Evaluation:
        for _ in range(APPEND_ATTEMPTS):
            newest = await self.latest(key, limit=1)
            candidate = replace(evaluation, seq=(newest[0].seq if newest else 0) + 1)
            entity = _entity(key, candidate)

            async def insert(table: TableClient, entity: dict[str, Any] = entity) -> None:
                await table.create_entity(entity)

            try:
                await self._tables.run("evaluations", insert)
            except ResourceExistsError:
                continue  # another evaluation took this number first: take the next one
            return candidate
        raise Conflict("too many concurrent evaluations of this project; try again")

    async def record_writeback(self, key: ProjectKey, evaluation: Evaluation) -> None:
        entity = _entity(key, evaluation)

        async def op(table: TableClient) -> None:
            # Replace, not merge: a property absent now (e.g. no error code) must not survive
            # from an earlier attempt.
            await table.update_entity(entity, mode=UpdateMode.REPLACE)

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

    async def delete_all(self, key: ProjectKey) -> int:
        pk = partition_key(key)

        async def op(table: TableClient) -> int:
            rows = [
                e["RowKey"]
                async for e in table.query_entities(
                    "PartitionKey eq @pk", parameters={"pk": pk}, select=["RowKey"]
                )
            ]
            for rk in rows:
                await table.delete_entity(pk, rk)
            return len(rows)

        return await self._tables.run("evaluations", op)
