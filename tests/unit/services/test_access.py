"""The access rule with a fake CRM: Dynamics decides, answers live at most 60 s in memory."""

from __future__ import annotations

import pytest

from shared.domain.access import Access
from shared.domain.errors import CrmBusy, NoAccess, ReadOnlyAccess
from tests.support.world import OPP, ORG, World, rep

READ = frozenset({"ReadAccess"})
WRITE = frozenset({"ReadAccess", "WriteAccess"})


@pytest.fixture
def world() -> World:
    return World("chris", "dana")


def test_access_levels_from_retrieve_principal_access_flags() -> None:
    assert Access.from_rights({"ReadAccess", "WriteAccess", "AppendAccess"}) is Access.WRITE
    assert Access.from_rights({"ReadAccess", "ShareAccess"}) is Access.READ
    assert Access.from_rights({"WriteAccess"}) is Access.NONE  # write without read: no access
    assert Access.from_rights(set()) is Access.NONE


async def test_a_read_is_remembered_for_a_minute_then_asked_again(world: World) -> None:
    access = world.container.access
    await access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
    await access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("check_read", OPP)]
    world.pass_time(seconds=59)
    await access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
    assert len(world.crm.calls) == 1
    world.pass_time(seconds=2)
    await access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("check_read", OPP)] * 2


async def test_the_memory_is_per_user_and_opportunity(world: World) -> None:
    access = world.container.access
    await access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
    world.crm.rights["dana"] = {}
    with pytest.raises(NoAccess):
        await access.require_read(principal=rep("dana"), org=ORG, opportunity_id=OPP)
    assert access.remembered(principal=rep("dana"), org=ORG, opportunity_id=OPP) is Access.NONE


async def test_refusals_are_not_remembered(world: World) -> None:
    access = world.container.access
    world.crm.rights["dana"] = {}
    for _ in range(2):
        with pytest.raises(NoAccess):
            await access.require_read(principal=rep("dana"), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("check_read", OPP)] * 2
    world.crm.rights.pop("dana")  # an admin granted access in Dynamics: no waiting
    await access.require_read(principal=rep("dana"), org=ORG, opportunity_id=OPP)


async def test_write_needs_write_access_and_a_reader_is_told_so(world: World) -> None:
    access = world.container.access
    world.crm.rights["chris"] = {OPP: READ}
    with pytest.raises(ReadOnlyAccess) as info:
        await access.require_write(principal=rep("chris"), org=ORG, opportunity_id=OPP)
    assert info.value.code == "read_only_access"
    # The answer includes reading: no separate read check within the minute.
    await access.require_read(principal=rep("chris"), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("my_access", OPP)]
    assert access.may_change(principal=rep("chris"), org=ORG, opportunity_id=OPP) is False


async def test_write_access_is_remembered_and_a_page_read_does_not_forget_it(world: World) -> None:
    access = world.container.access
    await access.require_write(principal=rep(), org=ORG, opportunity_id=OPP)
    await access.read_opportunity(principal=rep(), org=ORG, opportunity_id=OPP)
    await access.require_write(principal=rep(), org=ORG, opportunity_id=OPP)
    assert world.crm.calls == [("my_access", OPP), ("get", OPP)]
    assert access.may_change(principal=rep(), org=ORG, opportunity_id=OPP) is True


async def test_a_page_read_says_nothing_about_writing(world: World) -> None:
    access = world.container.access
    await access.read_opportunity(principal=rep(), org=ORG, opportunity_id=OPP)
    assert access.may_change(principal=rep(), org=ORG, opportunity_id=OPP) is None
    await access.require_write(principal=rep(), org=ORG, opportunity_id=OPP)
    assert ("my_access", OPP) in world.crm.calls


async def test_the_admin_role_is_no_bypass(world: World) -> None:
    world.crm.rights["admin"] = {}
    with pytest.raises(NoAccess):
        await world.container.access.require_write(
            principal=rep("admin", "Cockpit.Admin"), org=ORG, opportunity_id=OPP
        )


async def test_no_access_looks_the_same_for_every_reason(world: World) -> None:
    """Not a Dataverse user, disabled, not your record, no privilege: all CrmAccessDenied in
    Dataverse, all the same NoAccess here."""
    world.crm.rights["dana"] = {}
    messages = set()
    for check in ("require_read", "require_write"):
        with pytest.raises(NoAccess) as info:
            await getattr(world.container.access, check)(
                principal=rep("dana"), org=ORG, opportunity_id=OPP
            )
        messages.add(info.value.code)
    assert messages == {"no_access"}


async def test_an_outage_is_not_a_refusal(world: World) -> None:
    world.crm.fail_next["check_read"] = CrmBusy("429")
    with pytest.raises(CrmBusy):
        await world.container.access.require_read(principal=rep(), org=ORG, opportunity_id=OPP)
