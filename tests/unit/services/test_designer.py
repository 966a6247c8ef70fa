"""The designer and moving projects, with in-memory stores behind the real services (in Chromium:
tests/e2e/test_admin_designer.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from shared.domain.admin_log import LogOutcome
from shared.domain.designer import GradeBand, Texts, from_solution
from shared.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StateConflict
from shared.domain.solutions import builtin_solutions
from tests.support.world import KEY, OPP, ORG, OTHER_OPP, World, rep

B2B = next(s for s in builtin_solutions() if s.language == "en")
ADMIN = rep("admin", "Cockpit.Admin")
READ = frozenset({"ReadAccess"})


@pytest.fixture
def world() -> World:
    return World("ben")


def answers(level: int) -> dict[str, str]:
    return {c.id: [o for o in c.options if o.knockout_cap is None][level].id for c in B2B.criteria}


async def test_a_new_draft_is_saved_as_typed_and_says_what_is_missing(world: World) -> None:
    designer = world.container.designer
    stored = await designer.start_draft(principal=ADMIN, solution_id="pilot", language="de")
    assert stored.draft.language == "de" and stored.updated_by == "admin"
    draft = stored.draft
    draft.name.de = "Pilot"
    saved, problems = await designer.save_draft(principal=ADMIN, draft=draft, etag=stored.etag)
    paths = {p.path: p.code for p in problems}
    assert paths["criteria[0].weight"] == "weight_required"
    assert paths["criteria[0].question.de"] == "text_required"
    with pytest.raises(Conflict):  # the old ETag: someone (here: we) saved meanwhile
        await designer.save_draft(principal=ADMIN, draft=draft, etag=stored.etag)
    with pytest.raises(StateConflict) as info:  # the stored draft is what must change
        await designer.publish(principal=ADMIN, solution_id="pilot")
    assert info.value.code == "draft_invalid"
    with pytest.raises(Forbidden):
        await designer.start_draft(principal=rep(), solution_id="x", language="en")


async def test_the_preview_scores_with_production_and_grades(world: World) -> None:
    draft = from_solution(B2B)
    draft.grade_bands = [
        GradeBand(label=Texts(en="C", de="C"), min_probability=0),
        GradeBand(label=Texts(en="A", de="A"), min_probability=70),
    ]
    preview = world.container.designer.preview(principal=ADMIN, draft=draft, answers=answers(0))
    assert preview.score is not None and preview.score.probability > 70
    assert preview.grade is not None and preview.grade.label.en == "A"
    draft.criteria[0].weight = None
    blocked = world.container.designer.preview(principal=ADMIN, draft=draft, answers={})
    assert blocked.score is None
    assert {p.code for p in blocked.problems if p.blocks_preview} == {"weight_required"}


async def test_publishing_makes_the_next_immutable_version_and_records_who(world: World) -> None:
    designer = world.container.designer
    stored = await designer.start_draft(
        principal=ADMIN, solution_id=B2B.id, language="en", from_version=B2B.version
    )
    draft = stored.draft
    draft.criteria[0].weight = Decimal("3.5")
    draft.name.de = "B2B-Qualifizierung"
    stored, _ = await designer.save_draft(principal=ADMIN, draft=draft, etag=stored.etag)
    published = await designer.publish(principal=ADMIN, solution_id=B2B.id, etag=stored.etag)
    assert published.version == B2B.version + 1
    assert published.criteria[0].weight == Decimal("3.5")
    assert await world.drafts.get(tenant_id=ADMIN.tenant_id, solution_id=B2B.id) is None
    extras = world.drafts.extra_rows[(ADMIN.tenant_id, B2B.id, published.version)]
    assert extras.other_texts["name"] == "B2B-Qualifizierung"
    assert world.log.rows[0].outcome is LogOutcome.SOLUTION_PUBLISHED
    assert world.log.rows[0].params == {"solution": B2B.id, "version": published.version}
    families = {f.solution_id: f for f in await designer.families(principal=ADMIN)}
    assert [v.solution.version for v in families[B2B.id].versions] == [1, 2]
    with pytest.raises(NotFound):
        await designer.publish(principal=ADMIN, solution_id=B2B.id)


async def test_import_takes_a_solution_or_a_draft_and_refuses_anything_else(
    world: World,
) -> None:
    designer = world.container.designer
    from_json = await designer.import_draft(principal=ADMIN, raw=B2B.model_dump_json().encode())
    assert from_json.draft.id == B2B.id and from_json.draft.based_on == B2B.version
    exported = from_json.draft.model_dump_json().encode()
    again = await designer.import_draft(principal=ADMIN, raw=exported)
    assert again.draft == from_json.draft
    for bad in (b"not json", b"[]", json.dumps({"id": "x", "criteria": 3}).encode()):
        with pytest.raises(InvalidInput) as info:
            await designer.import_draft(principal=ADMIN, raw=bad)
        assert info.value.code == "import_invalid"


async def published_v2(world: World):
    designer = world.container.designer
    stored = await designer.start_draft(
        principal=ADMIN, solution_id=B2B.id, language="en", from_version=1
    )
    draft = stored.draft
    draft.criteria = draft.criteria[1:]  # the first criterion is dropped in v2
    await designer.save_draft(principal=ADMIN, draft=draft, etag=stored.etag)
    return await designer.publish(principal=ADMIN, solution_id=B2B.id)


async def on_v1(world: World, opportunity_id: str) -> None:
    services = world.container
    await services.projects_service.launch(principal=rep(), org=ORG, opportunity_id=opportunity_id)
    await services.qualification.assign_solution(
        principal=rep(), org=ORG, opportunity_id=opportunity_id, solution_id=B2B.id
    )
    await services.qualification.evaluate(
        principal=rep(), org=ORG, opportunity_id=opportunity_id, answers=answers(1)
    )


async def test_moving_keeps_matching_answers_rescores_and_asks_dynamics_per_project(
    world: World,
) -> None:
    await on_v1(world, OPP)
    await on_v1(world, OTHER_OPP)
    v2 = await published_v2(world)
    world.crm.rights["admin"] = {OPP: frozenset({"ReadAccess", "WriteAccess"}), OTHER_OPP: READ}
    moves = world.container.moves
    assert await moves.counts(principal=ADMIN, org=ORG, solution_id=B2B.id) == {1: 2}
    result = await moves.move(principal=ADMIN, org=ORG, solution_id=B2B.id, to_version=2)
    assert (result.moved, result.not_allowed, result.stopped) == (1, 1, None)
    assert world.projects.rows[KEY].solution == v2.ref
    newest = world.evaluations.rows[KEY][0]
    assert newest.solution == v2.ref and newest.evaluator == "admin"
    assert newest.answers == {c.id: answers(1)[c.id] for c in v2.criteria}
    assert newest.writeback.status.value == "written"
    assert world.crm.opportunities[OPP].probability == round(newest.probability)
    assert [e.outcome for e in world.log.rows[:2]] == [
        LogOutcome.PROJECT_MOVED,
        LogOutcome.WRITTEN,
    ]
    # The project Dynamics does not let the admin change stays on v1.
    assert await moves.counts(principal=ADMIN, org=ORG, solution_id=B2B.id) == {1: 1, 2: 1}


async def test_a_deleted_opportunity_does_not_stop_a_move(world: World) -> None:
    await on_v1(world, OPP)
    await on_v1(world, OTHER_OPP)
    await published_v2(world)
    del world.crm.opportunities[OPP]
    result = await world.container.moves.move(
        principal=ADMIN, org=ORG, solution_id=B2B.id, to_version=2
    )
    assert (result.moved, result.not_allowed) == (1, 1)
