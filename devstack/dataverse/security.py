"""Who a request runs as, and what that principal may do.

- Privileges have a depth (User/Business Unit/Parent-Child/Organization); a user-owned row is
  accessible when the depth covers its owner (security-roles-privileges, Power Platform admin docs).
- Impersonation (``CallerObjectId``): the caller needs ``prvActOnBehalfOfAnotherUser`` and "the
  actual set of privileges that is used … is the intersection of the privileges that the Delegate
  role user possesses with that of the user who is being impersonated"
  (powerapps-docs developer/data-platform/webapi/impersonate-another-user-web-api.md).
- Column security: "When a column is secured, only people who have the system administrator
  security role can read or set the value"; others need a field security profile granting
  CanRead/CanUpdate (developer/data-platform/column-level-security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.dataverse.errors import (
    ATTRIBUTE_UPDATE_MISSING,
    PRIVILEGE_DENIED,
    RECORD_ACCESS_DENIED,
    DataverseError,
)
from devstack.dataverse.model import Depth, EntityDef, Lookup, OrgState, SystemUser, stable_id

# RetrievePrincipalAccess answers with AccessRights flags (use-web-api-functions.md); the verb
# behind each right is the privilege it needs.
ACCESS_RIGHTS = (
    ("ReadAccess", "Read"),
    ("WriteAccess", "Write"),
    ("AppendAccess", "Append"),
    ("AppendToAccess", "AppendTo"),
    ("CreateAccess", "Create"),
    ("DeleteAccess", "Delete"),
    ("ShareAccess", "Share"),
    ("AssignAccess", "Assign"),
)


@dataclass(frozen=True)
class Principal:
    """The effective user of a request. ``caller`` differs from ``user`` when impersonating."""

    user: SystemUser
    caller: SystemUser

    @property
    def impersonating(self) -> bool:
        return self.user.systemuserid != self.caller.systemuserid

    def depth(self, privilege: str) -> Depth:
        own = self.user.privileges.get(privilege, Depth.NONE)
        if not self.impersonating:
            return own
        return min(own, self.caller.privileges.get(privilege, Depth.NONE))

    def field_permission(self, state: OrgState, entity: str, attribute: str, op: str) -> bool:
        """CanRead/CanUpdate/CanCreate through a field security profile (intersection when
        impersonating, like privileges)."""
        allowed = _profile_allows(state, self.user, entity, attribute, op)
        if self.impersonating:
            allowed = allowed and _profile_allows(state, self.caller, entity, attribute, op)
        return allowed


def _profile_allows(
    state: OrgState, user: SystemUser, entity: str, attribute: str, op: str
) -> bool:
    for profile in user.field_security_profiles:
        for perm in state.field_profiles.get(profile, []):
            if perm.entity == entity and perm.attribute == attribute:
                if getattr(perm, f"can_{op}"):
                    return True
    return False


def missing_privilege(principal: Principal, entity: EntityDef, privilege: str) -> DataverseError:
    user = principal.user
    held = sum(1 for depth in user.privileges.values() if depth > Depth.NONE)
    # Wording as Dataverse writes it (customer-service FAQ, MicrosoftDocs
    # dynamics-365-customer-engagement "FAQs and known issues about case management"):
    # "Principal user (Id=<GUID>, type=8, roleCount=5, privilegeCount=465, accessMode=0), is missing
    # prvReadincident privilege (Id=<GUID>) on OTC=112 for entity 'incident'. context.Caller=<GUID>"
    return DataverseError(
        403,
        PRIVILEGE_DENIED,
        f"Principal user (Id={user.systemuserid}, type=8, roleCount=1, privilegeCount={held}, "
        f"accessMode=0), is missing {privilege} privilege (Id={stable_id('privilege', privilege)}) "
        f"on OTC={entity.object_type_code} for entity '{entity.logical_name}'. "
        f"context.Caller={principal.caller.systemuserid}",
    )


def record_denied(
    principal: Principal, entity: EntityDef, record_id: str, right: str
) -> DataverseError:
    # client-errors: -2147187962 (0x80048306) "Principal with ID … does not have <X>Access
    # right(s) for record …": the privilege check passed but the record's owner is out of reach.
    return DataverseError(
        403,
        RECORD_ACCESS_DENIED,
        f"Principal with id = {principal.user.systemuserid} does not have {right} right(s) for "
        f"record with id = {record_id} of entity {entity.logical_name}. ",
    )


def _owner_of(row: dict[str, Any]) -> str | None:
    owner = row.get("ownerid")
    return owner.id if isinstance(owner, Lookup) else None


def depth_covers(
    state: OrgState,
    principal: Principal,
    entity: EntityDef,
    depth: Depth,
    row: dict[str, Any] | None,
) -> bool:
    if depth == Depth.NONE:
        return False
    if depth == Depth.ORGANIZATION or row is None or entity.ownership != "UserOwned":
        return True
    owner = _owner_of(row)
    if owner is None:
        return True
    if depth == Depth.USER:
        return owner == principal.user.systemuserid
    owner_user = state.users.get(owner)
    # One business unit per simulated org: BU and parent/child depths cover every seeded owner.
    return owner_user is None or owner_user.business_unit_id == principal.user.business_unit_id


def require(
    state: OrgState,
    principal: Principal,
    entity: EntityDef,
    verb: str,
    row: dict[str, Any] | None = None,
    record_id: str | None = None,
) -> None:
    """Raise the documented 403 unless ``principal`` may ``verb`` (Read/Write/Create…) ``row``."""
    privilege = entity.privilege(verb)
    depth = principal.depth(privilege)
    if depth == Depth.NONE:
        raise missing_privilege(principal, entity, privilege)
    if row is not None and not depth_covers(state, principal, entity, depth, row):
        raise record_denied(principal, entity, record_id or "", f"{verb}Access")


def can(
    state: OrgState, principal: Principal, entity: EntityDef, verb: str, row: dict[str, Any] | None
) -> bool:
    depth = principal.depth(entity.privilege(verb))
    return depth_covers(state, principal, entity, depth, row)


def access_rights(
    state: OrgState, principal: Principal, entity: EntityDef, row: dict[str, Any]
) -> list[str]:
    """Rights for RetrievePrincipalAccess. Column security is not part of it (the docs' message
    covers record access only)."""
    return [name for name, verb in ACCESS_RIGHTS if can(state, principal, entity, verb, row)]


def secured_update_denied(attribute: str, entity: str) -> DataverseError:
    # AttributePermissionUpdateIsMissingDuringUpdate 0x8004F507 (web-service-error-codes.md):
    # "The user doesn't have AttributePrivilegeUpdate and not granted shared access for a secured
    # attribute during update operation"
    return DataverseError(
        403,
        ATTRIBUTE_UPDATE_MISSING,
        "The user doesn't have AttributePrivilegeUpdate and not granted shared access for a "
        f"secured attribute during update operation (attribute '{attribute}' of entity '{entity}').",
    )
