"""The admin's target-field settings, checked against live metadata read as the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.errors import ConfigurationInvalid, Forbidden
from shared.domain.writeback import ClosedPolicy
from tests.support.fakes import field_info
from tests.support.world import ORG, World, rep

ADMIN = rep("admin", "Cockpit.Admin")


@pytest.fixture
def world() -> World:
    return World()


async def test_admin_view_lists_candidates_with_checks(world: World) -> None:
    world.crm.fields["cockpit_securedscore"] = field_info("cockpit_securedscore", is_secured=True)
    world.crm.fields["cockpit_smallscore"] = field_info("cockpit_smallscore", max_value=Decimal(10))
    view = await world.container.admin.org_view(principal=ADMIN, org=ORG)
    checks = {c.field.logical_name: c for c in view.candidates}
    assert checks["closeprobability"].ok
    assert checks["cockpit_securedscore"].ok
    assert [w.code for w in checks["cockpit_securedscore"].warnings] == ["secured_field"]
    assert not checks["cockpit_smallscore"].ok
    assert view.current is not None and view.current.field.logical_name == "closeprobability"


@pytest.mark.parametrize(
    ("name", "code", "reasons"),
    [
        ("cockpit_smallscore", "target_field_refused", ["range_excludes_probability"]),
        ("msdyn_opportunityscore", "target_field_refused", ["not_updatable"]),
        ("cockpit_nextstep", "target_field_refused", ["not_numeric"]),
        ("does_not_exist", "target_field_missing", None),
    ],
)
async def test_save_refuses_fields_that_cannot_hold_a_probability(
    world: World, name: str, code: str, reasons: list[str] | None
) -> None:
    world.crm.fields["cockpit_smallscore"] = field_info("cockpit_smallscore", max_value=Decimal(10))
    world.crm.fields["msdyn_opportunityscore"] = field_info(
        "msdyn_opportunityscore", is_valid_for_update=False
    )
    world.crm.fields["cockpit_nextstep"] = field_info(
        "cockpit_nextstep", attribute_type="String", min_value=None, max_value=None
    )
    with pytest.raises(ConfigurationInvalid) as info:
        await world.container.admin.save_settings(
            principal=ADMIN, org=ORG, target_field=name, closed_policy=ClosedPolicy.SKIP, etag=None
        )
    assert info.value.code == code and info.value.params.get("reasons") == reasons
    assert world.settings.rows == {}


async def test_only_admins_see_or_change_settings(world: World) -> None:
    admin = world.container.admin
    with pytest.raises(Forbidden):
        await admin.org_view(principal=rep(), org=ORG)
    with pytest.raises(Forbidden):
        await admin.save_settings(
            principal=rep(),
            org=ORG,
            target_field="closeprobability",
            closed_policy=ClosedPolicy.SKIP,
            etag=None,
        )
    saved = await admin.save_settings(
        principal=ADMIN,
        org=ORG,
        target_field="closeprobability",
        closed_policy=ClosedPolicy.WRITE,
        etag=None,
    )
    assert saved.closed_policy is ClosedPolicy.WRITE and saved.updated_by == "admin"
