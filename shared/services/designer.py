"""The solution designer: drafts, validation, the live preview, publishing immutable versions,
import and export (docs/architecture.md, "Admin console").

One draft per solution id and tenant; saving keeps whatever the administrator typed (half-finished
is fine) and answers with every problem found. Publishing refuses a draft with problems, gives it
the next version number, stores the version through the same path as the JSON API
(``QualificationService.publish_solution``: versions only go up, a published version never
changes), keeps the second language's texts and the grade bands beside it, removes the draft and
logs who published what. The preview scores with production's own function
(``shared.domain.scoring.evaluate``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from shared.domain.admin_log import LogEvent, LogOutcome, entry
from shared.domain.designer import (
    DraftCriterion,
    DraftOption,
    GradeBand,
    Problem,
    SolutionDraft,
    Texts,
    blocking,
    from_solution,
    preview_solution,
    secondary_texts,
    to_solution,
    validate_draft,
)
from shared.domain.errors import Conflict, InvalidInput, NotFound, StateConflict
from shared.domain.identity import Principal
from shared.domain.keys import check_key_part
from shared.domain.scoring import Score, evaluate
from shared.domain.solutions import Language, Solution, parse_solution
from shared.domain.versions import (
    PublishedVersion,
    StoredDraft,
    VersionExtras,
    grade_for,
)
from shared.ports import Clock, DraftStore, SolutionCatalog, WritebackLogStore
from shared.services.admin_common import append_quietly, require_admin
from shared.services.orgs import OrgDirectory
from shared.services.qualification import QualificationService

MAX_IMPORT_BYTES = 500_000


@dataclass(frozen=True)
class SolutionFamily:
    """A solution id with its versions (oldest first) and the draft being edited, if any."""

    solution_id: str
    versions: list[PublishedVersion]
    draft: StoredDraft | None

    @property
    def newest(self) -> PublishedVersion | None:
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class Preview:
    problems: list[Problem]
    score: Score | None  # None while a problem that changes the score is open
    solution: Solution | None
    grade: GradeBand | None


class DesignerService:
    def __init__(
        self,
        *,
        drafts: DraftStore,
        catalog: SolutionCatalog,
        qualification: QualificationService,
        orgs: OrgDirectory,
        log: WritebackLogStore | None,
        clock: Clock,
        admin_role: str,
    ) -> None:
        self._drafts = drafts
        self._catalog = catalog
        self._qualification = qualification
        self._orgs = orgs
        self._log = log
        self._clock = clock
        self._role = admin_role

    # --- reading --------------------------------------------------------------------------------
    async def families(self, *, principal: Principal) -> list[SolutionFamily]:
        """Every solution id with its versions and draft."""
        require_admin(principal, self._role)
        versions = await self._catalog.versions(tenant_id=principal.tenant_id)
        drafts = {d.draft.id: d for d in await self._drafts.all(tenant_id=principal.tenant_id)}
        ids = sorted({v.solution.id for v in versions} | set(drafts))
        return [
            SolutionFamily(
                solution_id=i,
                versions=[v for v in versions if v.solution.id == i],
                draft=drafts.get(i),
            )
            for i in ids
        ]

    async def version(
        self, *, principal: Principal, solution_id: str, version: int
    ) -> tuple[PublishedVersion, VersionExtras | None]:
        require_admin(principal, self._role)
        for found in await self._catalog.versions(tenant_id=principal.tenant_id):
            if found.solution.id == solution_id and found.solution.version == version:
                extras = await self._drafts.extras(
                    tenant_id=principal.tenant_id, solution_id=solution_id, version=version
                )
                return found, extras
        raise NotFound(f"no solution {solution_id} v{version}", code="solution_not_found")

    async def draft(self, *, principal: Principal, solution_id: str) -> StoredDraft:
        require_admin(principal, self._role)
        stored = await self._drafts.get(tenant_id=principal.tenant_id, solution_id=solution_id)
        if stored is None:
            raise NotFound(f"no draft of {solution_id}", code="draft_not_found")
        return stored

    # --- editing --------------------------------------------------------------------------------
    async def start_draft(
        self,
        *,
        principal: Principal,
        solution_id: str,
        language: Language,
        from_version: int | None = None,
    ) -> StoredDraft:
        """A draft of a new solution (one empty criterion) or of a published version; an existing
        draft of that id is returned as it is (it may hold unpublished work)."""
        require_admin(principal, self._role)
        existing = await self._drafts.get(tenant_id=principal.tenant_id, solution_id=solution_id)
        if existing is not None:
            return existing
        if from_version is not None:
            found, extras = await self.version(
                principal=principal, solution_id=solution_id, version=from_version
            )
            draft = from_solution(
                found.solution,
                other=extras.other_texts if extras else None,
                bands=list(extras.grade_bands) if extras else None,
            )
        else:
            draft = _blank(solution_id, language)
        return await self._store(principal, draft, etag=None)

    async def save_draft(
        self, *, principal: Principal, draft: SolutionDraft, etag: str | None
    ) -> tuple[StoredDraft, list[Problem]]:
        """Keep the draft as typed (ETag-conditional) and say what is still wrong with it."""
        require_admin(principal, self._role)
        if etag is not None:
            # Compared here, as settings are: storage refuses an ETag it never issued as a bad
            # request, and to the caller either way the draft is not the one they loaded.
            current = await self._drafts.get(tenant_id=principal.tenant_id, solution_id=draft.id)
            if current is None or current.etag != etag:
                raise Conflict("another administrator saved this draft meanwhile")
        stored = await self._store(principal, draft, etag=etag)
        return stored, validate_draft(draft)

    async def draft_with_weights(
        self,
        *,
        principal: Principal,
        solution_id: str,
        version: int,
        weights: Mapping[str, Decimal],
    ) -> StoredDraft:
        """A new draft of ``version`` with other weights (model quality's suggestion). An
        existing draft is never overwritten: it may hold unpublished work."""
        require_admin(principal, self._role)
        if await self._drafts.get(tenant_id=principal.tenant_id, solution_id=solution_id):
            raise Conflict("a draft of this solution exists already", code="draft_exists")
        stored = await self.start_draft(
            principal=principal, solution_id=solution_id, language="en", from_version=version
        )
        draft = stored.draft.model_copy(deep=True)
        for criterion in draft.criteria:
            if criterion.id in weights:
                criterion.weight = weights[criterion.id]
        return await self._store(principal, draft, etag=stored.etag)

    async def delete_draft(self, *, principal: Principal, solution_id: str) -> None:
        require_admin(principal, self._role)
        await self._drafts.delete(tenant_id=principal.tenant_id, solution_id=solution_id)

    def preview(
        self, *, principal: Principal, draft: SolutionDraft, answers: Mapping[str, str]
    ) -> Preview:
        """Score ``answers`` against the draft as it stands, with production's scoring."""
        require_admin(principal, self._role)
        problems = validate_draft(draft)
        if any(p.blocks_preview for p in problems):
            return Preview(problems=problems, score=None, solution=None, grade=None)
        solution = preview_solution(draft)
        score = evaluate(solution, answers)
        grade = grade_for(score.probability, draft.grade_bands)
        return Preview(problems=problems, score=score, solution=solution, grade=grade)

    # --- publishing -----------------------------------------------------------------------------
    async def publish(
        self, *, principal: Principal, solution_id: str, etag: str | None = None
    ) -> Solution:
        """The draft becomes the next immutable version."""
        stored = await self.draft(principal=principal, solution_id=solution_id)
        if etag is not None and stored.etag is not None and etag != stored.etag:
            raise Conflict("another administrator saved this draft meanwhile")
        problems = blocking(validate_draft(stored.draft))
        if problems:
            # The stored draft is what is wrong, not this request: fix the draft, then publish.
            raise StateConflict(
                f"the draft has {len(problems)} problem(s)",
                code="draft_invalid",
                params={"count": len(problems)},
            )
        versions = await self._catalog.versions(tenant_id=principal.tenant_id)
        newest = max(
            (v.solution.version for v in versions if v.solution.id == solution_id), default=0
        )
        solution = to_solution(stored.draft, version=newest + 1)
        await self._qualification.publish_solution(principal=principal, solution=solution)
        await self._drafts.save_extras(
            tenant_id=principal.tenant_id,
            extras=VersionExtras(
                solution_id=solution.id,
                version=solution.version,
                other_texts=secondary_texts(stored.draft),
                grade_bands=tuple(stored.draft.grade_bands),
            ),
        )
        await self._drafts.delete(tenant_id=principal.tenant_id, solution_id=solution_id)
        for org in self._orgs.of_tenant(principal.tenant_id):
            await append_quietly(
                self._log,
                entry(
                    tenant_id=principal.tenant_id,
                    org=org.name,
                    at=self._clock.now(),
                    event=LogEvent.SOLUTION,
                    outcome=LogOutcome.SOLUTION_PUBLISHED,
                    user=principal.object_id,
                    params={"solution": solution.id, "version": solution.version},
                ),
            )
        return solution

    # --- import / export ------------------------------------------------------------------------
    async def import_draft(self, *, principal: Principal, raw: bytes) -> StoredDraft:
        """A draft from JSON: an exported draft, or a solution (any published version's JSON).
        It replaces the draft of that solution id, if there is one."""
        require_admin(principal, self._role)
        draft = _storable(parse_import(raw))
        existing = await self._drafts.get(tenant_id=principal.tenant_id, solution_id=draft.id)
        return await self._store(principal, draft, etag=existing.etag if existing else None)

    async def _store(
        self, principal: Principal, draft: SolutionDraft, *, etag: str | None
    ) -> StoredDraft:
        return await self._drafts.save(
            StoredDraft(
                tenant_id=principal.tenant_id,
                draft=_storable(draft),
                updated_at=self._clock.now(),
                updated_by=principal.object_id,
                etag=etag,
            )
        )


def _storable(draft: SolutionDraft) -> SolutionDraft:
    """A draft whose id can be its storage key (an imported one brings any id)."""
    if not draft.id:
        raise InvalidInput("the solution needs an id", code="draft_id_required")
    check_key_part(draft.id, what="the solution id")
    return draft


def parse_import(raw: bytes) -> SolutionDraft:
    """A draft from uploaded JSON; any problem is a 400 that says what is wrong."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(
            "the file is too large", code="import_invalid", params={"detail": "size"}
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput(
            f"not JSON: {exc}", code="import_invalid", params={"detail": str(exc)[:120]}
        ) from exc
    if not isinstance(data, dict):
        raise InvalidInput("not a JSON object", code="import_invalid", params={"detail": "{}"})
    if isinstance(data.get("name"), str):  # a published solution (texts are plain strings)
        return from_solution(parse_solution(raw))
    try:
        return SolutionDraft.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(
            f"not a draft: {where}: {first.get('msg')}",
            code="import_invalid",
            params={"detail": f"{where}: {first.get('msg')}"[:200]},
        ) from None


def _blank(solution_id: str, language: Language) -> SolutionDraft:
    return SolutionDraft(
        id=solution_id,
        language=language,
        criteria=[
            DraftCriterion(
                id="criterion-1",
                weight=None,
                question=Texts(),
                options=[
                    DraftOption(id="yes", score=100, colour="green"),
                    DraftOption(id="no", score=0, colour="red"),
                ],
            )
        ],
    )
