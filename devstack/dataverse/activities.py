"""Activity tables: the task, with which a rep plans a follow-up regarding an opportunity."""

from __future__ import annotations

from devstack.dataverse.model import AttributeDef, EntityDef, NavDef, OptionDef
from devstack.dataverse.tables import attr_def


def task_entity() -> EntityDef:
    """The task activity (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/task):
    primary key ``activityid``, ``subject``, ``description``, ``scheduledend``, ``prioritycode``,
    state Open/Completed/Canceled, the polymorphic ``regardingobjectid`` with one navigation
    property per target (``regardingobjectid_opportunity_task`` …) and ``ownerid``. Activities
    share the Activity privileges (prvCreateActivity …)."""
    name = "task"
    regarding = ("opportunity", "account", "contact")
    return EntityDef(
        logical_name=name,
        entity_set="tasks",
        schema_name="Task",
        primary_id="activityid",
        primary_name="subject",
        object_type_code=4212,
        ownership="UserOwned",
        labels={"en": "Task", "de": "Aufgabe"},
        privilege_schema="Activity",
        attributes=_task_attributes(name, regarding),
        navigation={
            **{
                f"regardingobjectid_{target}_task": NavDef(
                    f"regardingobjectid_{target}_task", "regardingobjectid", target
                )
                for target in regarding
            },
            "ownerid": NavDef("ownerid", "ownerid", "systemuser"),
        },
    )


def _task_attributes(name: str, regarding: tuple[str, ...]) -> dict[str, AttributeDef]:
    priority = [
        OptionDef(0, {"en": "Low", "de": "Niedrig"}),
        OptionDef(1, {"en": "Normal", "de": "Normal"}),
        OptionDef(2, {"en": "High", "de": "Hoch"}),
    ]
    states = [
        OptionDef(0, {"en": "Open", "de": "Offen"}),
        OptionDef(1, {"en": "Completed", "de": "Abgeschlossen"}),
        OptionDef(2, {"en": "Canceled", "de": "Abgebrochen"}),
    ]
    statuses = [
        OptionDef(2, {"en": "Not Started", "de": "Nicht begonnen"}, state=0),
        OptionDef(3, {"en": "In Progress", "de": "In Bearbeitung"}, state=0),
        OptionDef(5, {"en": "Completed", "de": "Abgeschlossen"}, state=1),
        OptionDef(6, {"en": "Canceled", "de": "Abgebrochen"}, state=2),
    ]
    return {
        "activityid": attr_def(name, "activityid", "Uniqueidentifier", "Task", "Aufgabe"),
        "subject": attr_def(
            name,
            "subject",
            "String",
            "Subject",
            "Betreff",
            max_length=200,
            required_level="ApplicationRequired",
        ),
        "description": attr_def(
            name, "description", "Memo", "Description", "Beschreibung", max_length=2000
        ),
        "scheduledend": attr_def(name, "scheduledend", "DateTime", "Due", "Fällig"),
        "prioritycode": attr_def(
            name, "prioritycode", "Picklist", "Priority", "Priorität", options=priority
        ),
        "statecode": attr_def(
            name, "statecode", "State", "Activity Status", "Status", options=states
        ),
        "statuscode": attr_def(
            name, "statuscode", "Status", "Status Reason", "Statusgrund", options=statuses
        ),
        "regardingobjectid": attr_def(
            name, "regardingobjectid", "Lookup", "Regarding", "Bezug", targets=list(regarding)
        ),
        "ownerid": attr_def(
            name,
            "ownerid",
            "Owner",
            "Owner",
            "Besitzer",
            targets=["systemuser"],
            required_level="SystemRequired",
        ),
    }
