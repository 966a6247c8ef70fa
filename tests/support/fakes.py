"""In-memory fakes behind the ports, for unit tests of the services (integration tests use the
real adapters against Azurite and the simulators)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.domain.admin_log import (
    DEFAULT_RETENTION_DAYS,
    LogEntry,
    LogFilter,
    LogLevel,
    LogPage,
)
from shared.domain.bulk import BulkJob
from shared.domain.crm import (
    CrmCaller,
    CrmIdentity,
    FieldInfo,
    FieldUpdate,
    FollowUpTask,
    Opportunity,
    OpportunityState,
    PredictiveScore,
)
from shared.domain.crm_admin import (
    ApplicationUser,
    InstalledSolution,
    OpportunityRow,
)
from shared.domain.errors import (
    Conflict,
    CrmAccessDenied,
    CrmConflict,
    CrmRecordNotFound,
    NotFound,
    ReauthRequired,
    StorageUnavailable,
)
from shared.domain.evaluations import Evaluation, OutboxItem
from shared.domain.identity import LoginResult, Session, TokenResult
from shared.domain.my_projects import MyProject
from shared.domain.org_settings import OrgSettings
from shared.domain.orgs import CrmOrg
from shared.domain.projects import Project, ProjectKey
from shared.domain.solutions import Solution, builtin_solutions
from shared.domain.versions import PublishedVersion, StoredDraft, VersionExtras


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeSessions:
    def __init__(self) -> None:
        self.rows: dict[str, Session] = {}

    async def get(self, id_hash: str) -> Session | None:
        return self.rows.get(id_hash)

    async def create(self, session: Session) -> None:
        self.rows[session.id_hash] = session

    async def touch(self, session: Session) -> None:
        self.rows[session.id_hash] = session

    async def delete(self, id_hash: str) -> None:
        self.rows.pop(id_hash, None)

    async def purge_expired(self, *, now: datetime) -> int:
        expired = [k for k, v in self.rows.items() if v.expires_at < now]
        for k in expired:
            del self.rows[k]
        return len(expired)


class FakeFlows:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[dict[str, Any], datetime, bool]] = {}

    async def put(self, *, state: str, flow: Mapping[str, Any], expires_at: datetime) -> None:
        self.rows[state] = (dict(flow), expires_at, False)

    async def purge_expired(self, *, now: datetime) -> int:
        expired = [k for k, v in self.rows.items() if v[1] < now]
        for k in expired:
            del self.rows[k]
        return len(expired)

    async def take(self, *, state: str, now: datetime) -> dict[str, Any] | None:
        row = self.rows.get(state)
        if row is None or row[2] or row[1] <= now:
            return None
        self.rows[state] = (row[0], row[1], True)
        return copy.deepcopy(row[0])


class FakeCaches:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, str]] = {}

    async def get(self, *, tenant_id: str, object_id: str) -> tuple[str, str] | None:
        return self.rows.get((tenant_id, object_id))

    async def put(self, *, tenant_id: str, object_id: str, cache: str, etag: str | None) -> str:
        current = self.rows.get((tenant_id, object_id))
        if (current is None) != (etag is None) or (current is not None and current[1] != etag):
            raise Conflict("etag")
        new = uuid.uuid4().hex
        self.rows[(tenant_id, object_id)] = (cache, new)
        return new


@dataclass
class FakeIdentity:
    """Entra as the services see it: sign-ins produce the configured result."""

    login: LoginResult | None = None
    silent_fails: bool = False
    calls: list[str] = field(default_factory=list)

    async def start_login(
        self,
        *,
        scopes: Sequence[str],
        redirect_uri: str,
        login_hint: str | None = None,
        prompt: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append("start_login")
        state = uuid.uuid4().hex
        return {
            "state": state,
            "auth_uri": f"https://login.example/authorize?state={state}",
            "code_verifier": "v",
            "nonce": "n",
        }

    async def finish_login(
        self, *, flow: Mapping[str, Any], response: Mapping[str, str], cache: str | None
    ) -> LoginResult:
        self.calls.append("finish_login")
        assert self.login is not None
        return self.login

    async def acquire_silent(
        self,
        *,
        cache: str,
        home_account_id: str,
        tenant_id: str,
        scopes: Sequence[str],
        force_refresh: bool = False,
    ) -> TokenResult:
        self.calls.append("silent-forced" if force_refresh else "silent")
        if self.silent_fails:
            raise ReauthRequired("no")
        return TokenResult(access_token=f"at-for-{scopes[0]}", expires_at=9e9)

    async def acquire_on_behalf_of(
        self, *, assertion: str, tenant_id: str, scopes: Sequence[str]
    ) -> TokenResult:
        self.calls.append("obo")
        return TokenResult(access_token="obo-token", expires_at=9e9)

    async def acquire_for_app(self, *, tenant_id: str, scopes: Sequence[str]) -> TokenResult:
        self.calls.append("app")
        return TokenResult(access_token="app-token", expires_at=9e9)


class FakeProjects:
    def __init__(self) -> None:
        self.rows: dict[ProjectKey, Project] = {}
        self.ops = 0

    async def get(self, key: ProjectKey) -> Project | None:
        self.ops += 1
        return self.rows.get(key)

    async def create_or_open(self, project: Project) -> tuple[Project, bool]:
        self.ops += 1
        if project.key in self.rows:
            return self.rows[project.key], False
        stored = replace(project, etag=uuid.uuid4().hex)
        self.rows[project.key] = stored
        return stored, True

    async def update(self, project: Project) -> Project:
        self.ops += 1
        current = self.rows.get(project.key)
        if current is None:
            raise NotFound("project")
        if current.etag != project.etag:
            raise Conflict("etag")
        stored = replace(project, etag=uuid.uuid4().hex)
        self.rows[project.key] = stored
        return stored

    async def delete(self, key: ProjectKey) -> None:
        self.ops += 1
        self.rows.pop(key, None)


class FakeEvaluations:
    """Newest first; ``append`` numbers evaluations like the table store (next sequence number)."""

    def __init__(self) -> None:
        self.rows: dict[ProjectKey, list[Evaluation]] = {}
        self.ops = 0

    async def append(self, key: ProjectKey, evaluation: Evaluation) -> Evaluation:
        self.ops += 2  # the table store reads the newest row, then inserts
        rows = self.rows.setdefault(key, [])
        stored = replace(evaluation, seq=(rows[0].seq if rows else 0) + 1)
        rows.insert(0, stored)
        return stored

    async def record_writeback(self, key: ProjectKey, evaluation: Evaluation) -> None:
        self.ops += 1
        rows = self.rows[key]
        for i, row in enumerate(rows):
            if row.evaluation_id == evaluation.evaluation_id:
                rows[i] = evaluation

    async def latest(self, key: ProjectKey, *, limit: int = 20) -> list[Evaluation]:
        self.ops += 1
        return list(self.rows.get(key, []))[:limit]

    async def delete_all(self, key: ProjectKey) -> int:
        return len(self.rows.pop(key, []))


class FakeOutbox:
    def __init__(self) -> None:
        self.rows: dict[tuple[ProjectKey, str], OutboxItem] = {}

    async def put(self, item: OutboxItem) -> OutboxItem:
        stored = replace(item, etag=uuid.uuid4().hex)
        self.rows[(item.key, item.evaluation_id)] = stored
        return stored

    async def due(self, *, now: datetime, limit: int = 50) -> list[OutboxItem]:
        due = [i for i in self.rows.values() if i.next_attempt_at <= now]
        return sorted(due, key=lambda i: i.next_attempt_at)[:limit]

    async def reschedule(self, item: OutboxItem, *, next_attempt_at: datetime) -> None:
        current = self.rows.get((item.key, item.evaluation_id))
        if current is not None and current.etag == item.etag:
            self.rows[(item.key, item.evaluation_id)] = replace(
                item,
                attempts=item.attempts + 1,
                next_attempt_at=next_attempt_at,
                etag=uuid.uuid4().hex,
            )

    async def remove(self, item: OutboxItem) -> None:
        current = self.rows.get((item.key, item.evaluation_id))
        if current is not None and current.etag == item.etag:
            del self.rows[(item.key, item.evaluation_id)]


class FakeOrgSettings:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], OrgSettings] = {}

    async def get(self, *, tenant_id: str, org: str) -> OrgSettings:
        return self.rows.get((tenant_id, org), OrgSettings(tenant_id=tenant_id, org=org))

    async def save(self, settings: OrgSettings) -> OrgSettings:
        current = self.rows.get((settings.tenant_id, settings.org))
        if current is not None and current.etag != settings.etag:
            raise Conflict("etag")
        stored = replace(settings, etag=uuid.uuid4().hex)
        self.rows[(settings.tenant_id, settings.org)] = stored
        return stored


class FakeSolutions:
    def __init__(self) -> None:
        self.custom: dict[str, list[Solution]] = {}

    async def get(self, *, tenant_id: str, solution_id: str, version: int) -> Solution:
        for s in [*self.custom.get(tenant_id, []), *builtin_solutions()]:
            if s.id == solution_id and s.version == version:
                return s
        raise NotFound("solution", code="solution_not_found")

    async def available(self, *, tenant_id: str) -> list[Solution]:
        latest = {s.id: s for s in builtin_solutions()}
        for s in self.custom.get(tenant_id, []):
            if s.id not in latest or s.version > latest[s.id].version:
                latest[s.id] = s
        return list(latest.values())

    async def publish(self, *, tenant_id: str, solution: Solution, by: str, at: datetime) -> None:
        self.custom.setdefault(tenant_id, []).append(solution)


def field_info(name: str = "closeprobability", **overrides: Any) -> FieldInfo:
    values: dict[str, Any] = {
        "logical_name": name,
        "display_name": name,
        "attribute_type": "Integer",
        "is_valid_for_update": True,
        "is_secured": False,
        "is_custom": False,
        "min_value": Decimal(0),
        "max_value": Decimal(100),
        "precision": None,
    }
    values.update(overrides)
    return FieldInfo(**values)


def opportunity(opportunity_id: str, **overrides: Any) -> Opportunity:
    values: dict[str, Any] = {
        "id": opportunity_id,
        "name": "CRM rollout 2027",
        "state": OpportunityState.OPEN,
        "status_display": "In Progress",
        "account_name": "Contoso Pharmaceuticals",
        "customer_name": "Contoso Pharmaceuticals",
        "owner_name": "Anna Adams",
        "estimated_value": Decimal("120000"),
        "estimated_value_display": "€120,000.00",
        "estimated_close_date": None,
        "estimated_close_date_display": "3/31/2027",
        "sales_stage_display": "Qualify",
        "pipeline_phase": "1-Qualify",
        "probability": 20,
        "extra_values": {},
        "etag": 'W/"1"',
    }
    values.update(overrides)
    return Opportunity(**values)


class FakeCrm:
    """A CRM with opportunities, field metadata and per-user rights (``rights[object id]`` maps an
    opportunity to {"ReadAccess", "WriteAccess"}; users not listed may do everything); records
    every call, can be told to fail, and versions records like Dataverse's ETags."""

    def __init__(self) -> None:
        self.opportunities: dict[str, Opportunity] = {}
        self.fields: dict[str, FieldInfo] = {"closeprobability": field_info()}
        self.calls: list[tuple[str, str]] = []
        self.fail_next: dict[str, Exception] = {}
        self.writes: list[tuple[str, str, object]] = []
        self.rights: dict[str, dict[str, frozenset[str]]] = {}
        self.users: dict[str, str] = {}  # Entra object id → full name
        self.tasks: list[FollowUpTask] = []
        self.scores: dict[str, PredictiveScore] = {}
        self.has_score_table = True

    def _rights(self, caller: CrmCaller, opportunity_id: str) -> frozenset[str]:
        user = caller.impersonate_object_id or caller.key.split(":", 1)[-1]
        if user not in self.rights:
            return frozenset({"ReadAccess", "WriteAccess"})
        return self.rights[user].get(opportunity_id, frozenset())

    def _require(self, caller: CrmCaller, opportunity_id: str, right: str) -> None:
        if right not in self._rights(caller, opportunity_id):
            raise CrmAccessDenied(f"no {right}")

    def _maybe_fail(self, op: str) -> None:
        error = self.fail_next.pop(op, None)
        if error is not None:
            raise error

    async def get_opportunity(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        caller: CrmCaller,
        extra_fields: Sequence[str] = (),
    ) -> Opportunity:
        self.calls.append(("get", opportunity_id))
        await caller.token(org.url)
        self._maybe_fail("get")
        found = self.opportunities.get(opportunity_id)
        if found is None:
            raise CrmRecordNotFound("deleted")
        self._require(caller, opportunity_id, "ReadAccess")
        return found

    async def write_number(
        self,
        *,
        org: CrmOrg,
        opportunity_id: str,
        field: str,
        value: int | float | Decimal,
        caller: CrmCaller,
        etag: str | None = None,
    ) -> None:
        self.calls.append(("patch", opportunity_id))
        self._maybe_fail("patch")
        self._require(caller, opportunity_id, "WriteAccess")
        if etag is not None and etag != "*" and self.opportunities[opportunity_id].etag != etag:
            raise CrmConflict("412")
        self._apply(opportunity_id, field, value)

    def _apply(self, opportunity_id: str, field: str, value: int | float | Decimal) -> None:
        self.writes.append((opportunity_id, field, value))
        current = self.opportunities[opportunity_id]
        version = int((current.etag or 'W/"0"').strip('W/"')) + 1
        if field == "closeprobability":
            updated = replace(current, probability=int(value))
        else:
            updated = replace(
                current, extra_values={**current.extra_values, field: Decimal(str(value))}
            )
        self.opportunities[opportunity_id] = replace(updated, etag=f'W/"{version}"')

    async def field_info(self, *, org: CrmOrg, field: str, caller: CrmCaller) -> FieldInfo:
        self.calls.append(("field", field))
        if field not in self.fields:
            raise CrmRecordNotFound("no such attribute")
        return self.fields[field]

    async def numeric_fields(self, *, org: CrmOrg, caller: CrmCaller) -> list[FieldInfo]:
        self.calls.append(("fields", "*"))
        return [
            f for f in self.fields.values() if f.numeric_kind is not None and f.is_valid_for_update
        ]

    async def who_am_i(self, *, org: CrmOrg, caller: CrmCaller) -> CrmIdentity:
        return CrmIdentity(user_id="u", business_unit_id="b", organization_id="o")

    async def check_read(self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller) -> None:
        self.calls.append(("check_read", opportunity_id))
        await caller.token(org.url)
        self._maybe_fail("check_read")
        if opportunity_id not in self.opportunities:
            raise CrmRecordNotFound("deleted")
        self._require(caller, opportunity_id, "ReadAccess")

    async def my_access(
        self, *, org: CrmOrg, opportunity_id: str, caller: CrmCaller
    ) -> frozenset[str]:
        self.calls.append(("my_access", opportunity_id))
        await caller.token(org.url)
        self._maybe_fail("my_access")
        if opportunity_id not in self.opportunities:
            raise CrmRecordNotFound("deleted")
        return self._rights(caller, opportunity_id)

    async def update_many(
        self, *, org: CrmOrg, updates: Sequence[FieldUpdate], caller: CrmCaller
    ) -> None:
        self.calls.append(("update_many", ",".join(u.opportunity_id for u in updates)))
        self._maybe_fail("update_many")
        for update in updates:
            self._apply(update.opportunity_id, update.field, update.value)

    async def get_opportunities(
        self, *, org: CrmOrg, opportunity_ids: Sequence[str], caller: CrmCaller
    ) -> list[Opportunity]:
        self.calls.append(("query", ",".join(opportunity_ids)))
        await caller.token(org.url)
        self._maybe_fail("query")
        return [
            self.opportunities[i]
            for i in opportunity_ids
            if i in self.opportunities and "ReadAccess" in self._rights(caller, i)
        ]

    async def user_names(
        self, *, org: CrmOrg, object_ids: Sequence[str], caller: CrmCaller
    ) -> dict[str, str]:
        self.calls.append(("users", ",".join(object_ids)))
        self._maybe_fail("users")
        return {i: self.users[i] for i in object_ids if i in self.users}

    async def create_task(self, *, org: CrmOrg, task: FollowUpTask, caller: CrmCaller) -> str:
        self.calls.append(("task", task.opportunity_id))
        self._maybe_fail("task")
        self.tasks.append(task)
        return f"7a5c0000-0000-4000-8000-{len(self.tasks):012d}"

    async def upsert_predictive_score(
        self, *, org: CrmOrg, score: PredictiveScore, caller: CrmCaller
    ) -> None:
        self.calls.append(("score", score.opportunity_id))
        self._maybe_fail("score")
        if not self.has_score_table:
            raise CrmRecordNotFound("Resource not found for the segment 'msdyn_predictivescores'")
        self.scores[score.opportunity_id] = score

    async def table_exists(self, *, org: CrmOrg, logical_name: str, caller: CrmCaller) -> bool:
        self.calls.append(("table", logical_name))
        return self.has_score_table


class FakeMyProjects:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, ProjectKey], MyProject] = {}

    async def record(self, entry: MyProject) -> None:
        key = (entry.key.tenant_id, entry.user, entry.key)
        current = self.rows.get(key)
        if current is not None:
            entry = replace(
                entry,
                created=entry.created or current.created,
                evaluated=entry.evaluated or current.evaluated,
            )
        self.rows[key] = entry

    async def of_user(self, *, tenant_id: str, user: str) -> list[MyProject]:
        return [e for (t, u, _), e in self.rows.items() if t == tenant_id and u == user]

    async def forget(self, *, user: str, key: ProjectKey) -> None:
        self.rows.pop((key.tenant_id, user, key), None)


# --- the admin console --------------------------------------------------------------------------------


class FakeWritebackLog:
    """The log in memory, newest first, with the table store's cursor semantics."""

    def __init__(self) -> None:
        self.rows: list[LogEntry] = []
        self._seq = 0

    async def append(self, entry: LogEntry) -> None:
        self._seq += 1
        self.rows.insert(0, replace(entry, entry_id=f"{10**9 - self._seq:010d}"))

    def of(self, org: str = "contoso") -> list[LogEntry]:
        return [e for e in self.rows if e.org == org]

    async def page(
        self,
        *,
        tenant_id: str,
        org: str,
        filters: LogFilter,
        cursor: str | None = None,
        limit: int = 50,
    ) -> LogPage:
        rows = [
            e
            for e in self.rows
            if e.tenant_id == tenant_id
            and e.org == org
            and filters.matches(e)
            and (cursor is None or (e.entry_id or "") > cursor)
        ]
        page = rows[:limit]
        more = len(rows) > limit
        return LogPage(entries=page, next_cursor=page[-1].entry_id if more else None)

    async def counts(self, *, tenant_id: str, org: str, since: datetime) -> dict[LogLevel, int]:
        counts = dict.fromkeys(LogLevel, 0)
        for e in self.rows:
            if e.tenant_id == tenant_id and e.org == org and e.at >= since:
                counts[e.level] += 1
        return counts

    async def purge(self, *, tenant_id: str, org: str, before: datetime) -> int:
        old = [e for e in self.rows if e.tenant_id == tenant_id and e.org == org and e.at < before]
        self.rows = [e for e in self.rows if e not in old]
        return len(old)


class FakeAdminState:
    def __init__(self) -> None:
        self.jobs: dict[tuple[str, str], BulkJob] = {}
        self.retention: dict[tuple[str, str], int] = {}
        self.health: dict[tuple[str, str], frozenset[str]] = {}

    async def bulk_job(self, *, tenant_id: str, org: str) -> BulkJob | None:
        return self.jobs.get((tenant_id, org))

    async def save_bulk_job(self, job: BulkJob) -> BulkJob:
        current = self.jobs.get((job.tenant_id, job.org))
        if (current is None) != (job.etag is None) or (
            current is not None and current.etag != job.etag
        ):
            raise Conflict("bulk job changed", code="bulk_conflict")
        stored = replace(job, etag=uuid.uuid4().hex)
        self.jobs[(job.tenant_id, job.org)] = stored
        return stored

    async def retention_days(self, *, tenant_id: str, org: str) -> int:
        return self.retention.get((tenant_id, org), DEFAULT_RETENTION_DAYS)

    async def save_retention_days(self, *, tenant_id: str, org: str, days: int) -> None:
        self.retention[(tenant_id, org)] = days

    async def health_failures(self, *, tenant_id: str, org: str) -> frozenset[str] | None:
        return self.health.get((tenant_id, org))

    async def save_health_failures(
        self, *, tenant_id: str, org: str, failing: frozenset[str], at: datetime
    ) -> None:
        self.health[(tenant_id, org)] = failing


class FakeDrafts:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], StoredDraft] = {}
        self.extra_rows: dict[tuple[str, str, int], VersionExtras] = {}

    async def get(self, *, tenant_id: str, solution_id: str) -> StoredDraft | None:
        return self.rows.get((tenant_id, solution_id))

    async def all(self, *, tenant_id: str) -> list[StoredDraft]:
        return [d for (t, _), d in self.rows.items() if t == tenant_id]

    async def save(self, draft: StoredDraft) -> StoredDraft:
        key = (draft.tenant_id, draft.draft.id)
        current = self.rows.get(key)
        if (current is None) != (draft.etag is None) or (
            current is not None and current.etag != draft.etag
        ):
            raise Conflict("draft changed")
        stored = replace(draft, etag=uuid.uuid4().hex)
        self.rows[key] = stored
        return stored

    async def delete(self, *, tenant_id: str, solution_id: str) -> None:
        self.rows.pop((tenant_id, solution_id), None)

    async def extras(
        self, *, tenant_id: str, solution_id: str, version: int
    ) -> VersionExtras | None:
        return self.extra_rows.get((tenant_id, solution_id, version))

    async def save_extras(self, *, tenant_id: str, extras: VersionExtras) -> None:
        key = (tenant_id, extras.solution_id, extras.version)
        if key in self.extra_rows:
            raise Conflict("published")
        self.extra_rows[key] = extras


class FakeDirectory:
    """Org-wide reads over the fake project and evaluation stores (and the solution catalogue)."""

    def __init__(
        self, projects: FakeProjects, evaluations: FakeEvaluations, solutions: FakeSolutions
    ) -> None:
        self._projects = projects
        self._evaluations = evaluations
        self._solutions = solutions
        self.scans = 0

    async def projects(self, *, tenant_id: str, org: str) -> list[Project]:
        self.scans += 1
        return [
            p for k, p in self._projects.rows.items() if k.tenant_id == tenant_id and k.org == org
        ]

    async def histories(
        self, *, tenant_id: str, org: str, newest_only: bool = False
    ) -> dict[str, list[Evaluation]]:
        self.scans += 1
        found = {}
        for key, rows in self._evaluations.rows.items():
            if key.tenant_id == tenant_id and key.org == org and rows:
                found[key.opportunity_id] = list(rows[:1] if newest_only else rows)
        return found

    async def versions(self, *, tenant_id: str) -> list[PublishedVersion]:
        found = [
            PublishedVersion(solution=s, published_by=None, published_at=None, builtin=True)
            for s in builtin_solutions()
        ]
        found += [
            PublishedVersion(solution=s, published_by="admin", published_at=None)
            for s in self._solutions.custom.get(tenant_id, [])
        ]
        return sorted(found, key=lambda v: (v.solution.id, v.solution.version))


class FakeCrmAdmin:
    """The admin reads over a :class:`FakeCrm`'s opportunities; pages of ``page_size`` rows."""

    def __init__(self, crm: FakeCrm, *, page_size: int = 5000) -> None:
        self.crm = crm
        self.page_size = page_size
        self.solution: InstalledSolution | None = InstalledSolution(
            "OpportunityCockpit", "1.0.0.0", True
        )
        self.app_user: ApplicationUser | None = ApplicationUser("app-user", False)
        self.cockpit_url: str | None = "https://cockpit.example"
        self.close_dates: dict[str, Any] = {}
        self.pages_read = 0

    async def installed_solution(
        self, *, org: CrmOrg, unique_name: str, caller: CrmCaller
    ) -> InstalledSolution | None:
        self.crm.calls.append(("solution", unique_name))
        self.crm._maybe_fail("solution")
        return self.solution

    async def cockpit_url_variable(self, *, org: CrmOrg, caller: CrmCaller) -> dict[str, Any]:
        self.crm.calls.append(("variable", "cockpit_CockpitUrl"))
        if self.solution is None:
            return {"value": []}
        values = [{"value": self.cockpit_url}] if self.cockpit_url else []
        return {
            "value": [
                {
                    "schemaname": "cockpit_CockpitUrl",
                    "defaultvalue": None,
                    "environmentvariabledefinition_environmentvariablevalue": values,
                }
            ]
        }

    async def application_user(
        self, *, org: CrmOrg, app_id: str, caller: CrmCaller
    ) -> ApplicationUser | None:
        self.crm.calls.append(("app_user", app_id))
        self.crm._maybe_fail("app_user")
        return self.app_user

    async def opportunity_pages(
        self,
        *,
        org: CrmOrg,
        caller: CrmCaller,
        fields: Sequence[str] = (),
        closed_only: bool = False,
        close_date: bool = False,
    ) -> Any:
        visible = []
        for oid, o in sorted(self.crm.opportunities.items()):
            if closed_only and not o.state.closed:
                continue
            if "ReadAccess" not in self.crm._rights(caller, oid):
                continue
            values = {f: _value_of(o, f) for f in fields}
            visible.append(
                OpportunityRow(
                    id=oid,
                    state=o.state,
                    close_date=self.close_dates.get(oid) if close_date else None,
                    values=values,
                )
            )
        for start in range(0, max(len(visible), 1), self.page_size):
            self.pages_read += 1
            self.crm.calls.append(("page", str(start)))
            self.crm._maybe_fail("page")
            yield visible[start : start + self.page_size]


def _value_of(o: Opportunity, field: str) -> Decimal | None:
    if field == "closeprobability":
        return None if o.probability is None else Decimal(o.probability)
    return o.extra_values.get(field)


class FakeStorageProbe:
    """Storage as the health check sees it: ``down`` fails everything, ``broken`` some tables."""

    def __init__(self) -> None:
        self.down = False
        self.broken: set[str] = set()

    async def ping(self) -> None:
        if self.down:
            raise StorageUnavailable("storage did not answer")

    async def probe(self, logical: str) -> None:
        if self.down or logical in self.broken:
            raise StorageUnavailable(f"{logical} did not answer")
