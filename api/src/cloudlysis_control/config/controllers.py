"""The config registry over HTTP: reads (control.config.read), validate and plan (no side
effects, control.config.read), apply and rollback (jobs, control.config.write)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

from cloudlysis_control.auth.principal import Principal
from cloudlysis_control.config.definitions import DefinitionsOverview, DefinitionsService
from cloudlysis_control.config.documents import DEFINITION_NAME_PATTERN, DefinitionType
from cloudlysis_control.config.model import (
    CONFIG_NAME_PATTERN,
    REVISION_PATTERN,
    SCOPE_PATTERN,
    DomainName,
)
from cloudlysis_control.config.schemas import (
    ConfigApplyRequest,
    ConfigDetail,
    ConfigPage,
    ConfigPlan,
    ConfigRevisionView,
    ConfigRollbackRequest,
    DomainList,
    HistoryPage,
    PlanRequest,
    RollbackPlanRequest,
    ValidateRequest,
    ValidationReport,
)
from cloudlysis_control.config.service import ConfigService
from cloudlysis_control.core.openapi import Cursor, IdempotencyKey, Limit, problems
from cloudlysis_control.jobs.schemas import Job
from cloudlysis_control.jobs.service import JobService

AnyRequest = Request[Principal, Any, Any]
READ = {"right": "control.config.read"}
WRITE = {"right": "control.config.write"}
NamePath = Annotated[str, PathParameter(pattern=CONFIG_NAME_PATTERN, description="Config name")]
RevisionPath = Annotated[str, PathParameter(pattern=REVISION_PATTERN, description="Revision")]
ScopeQuery = Annotated[
    str,
    QueryParameter(
        name="scope",
        pattern=SCOPE_PATTERN,
        description="`platform` (default), a service kind, or `tenant:<id>`",
    ),
]
OptionalScope = Annotated[str | None, QueryParameter(name="scope", pattern=SCOPE_PATTERN)]
DomainPath = Annotated[DomainName, PathParameter(description="The config's domain")]
DomainQuery = Annotated[DomainName | None, QueryParameter(description="Only this domain")]
_ITEM = "/{domain:str}/{name:str}"
DefinitionTypePath = Annotated[DefinitionType, PathParameter(description="effect or saga")]
DefinitionNamePath = Annotated[str, PathParameter(pattern=DEFINITION_NAME_PATTERN)]
VersionPath = Annotated[int, PathParameter(ge=1, le=1_000_000)]


class ConfigRegistryController(Controller):
    path = "/admin/v1/config"
    tags = ["config"]

    @get(
        "/",
        operation_id="ListConfigs",
        opt=READ,
        responses=problems(),
        description="Every config of the registry (domain, name, scope) with its revision, "
        "sha256, who changed it last and its source; filter by domain and scope; paged.",
    )
    async def list_configs(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainQuery = None,
        config_scope: OptionalScope = None,
        cursor: Cursor = None,
        limit: Limit = 100,
    ) -> ConfigPage:
        return await configs.page(domain, config_scope, cursor, limit)

    @get(
        "/domains",
        operation_id="ListConfigDomains",
        opt=READ,
        responses=problems(),
        sync_to_thread=False,
        description="The registry's domains: names, scopes, formats and each document's JSON "
        "Schema (for editors).",
    )
    def list_domains(self, configs: NamedDependency[ConfigService]) -> DomainList:
        return configs.domains()

    @get(
        _ITEM,
        operation_id="GetConfig",
        opt=READ,
        responses=problems(404),
        description="A config's value and metadata (`scope` selects among its scopes).",
    )
    async def get_config(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        config_scope: ScopeQuery = "platform",
    ) -> ConfigDetail:
        _, cid = configs.config_id(domain, name, config_scope)
        return await configs.detail(cid)

    @get(
        _ITEM + "/history",
        operation_id="GetConfigHistory",
        opt=READ,
        responses=problems(404),
        sync_to_thread=False,
        description="Every write of the config, newest first: revision, sha256, who, when, "
        "reason, job, plan hash and the patch from the previous revision.",
    )
    def get_history(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        config_scope: ScopeQuery = "platform",
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> HistoryPage:
        _, cid = configs.config_id(domain, name, config_scope)
        return configs.history_page(cid, cursor, limit)

    @get(
        _ITEM + "/revisions/{revision:str}",
        operation_id="GetConfigRevision",
        opt=READ,
        responses=problems(404),
        description="The value of one revision (from the history, or the current one).",
    )
    async def get_revision(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        revision: RevisionPath,
        config_scope: ScopeQuery = "platform",
    ) -> ConfigRevisionView:
        _, cid = configs.config_id(domain, name, config_scope)
        return await configs.revision(cid, revision)

    @post(
        _ITEM + "/validate",
        operation_id="ValidateConfig",
        opt=READ,
        status_code=HTTP_200_OK,
        responses=problems(404, 422),
        description="Validate a document without side effects. Invalid: 422 `config_invalid` "
        "with every finding (`findings`: code `config.<domain>.<rule>`, JSON pointer, message, "
        "severity). A read-only config: 422 `config_read_only`.",
    )
    async def validate(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        data: JSONBody[ValidateRequest],
        config_scope: ScopeQuery = "platform",
    ) -> ValidationReport:
        _, cid = configs.config_id(domain, name, config_scope)
        return await configs.report(cid, data.document, data.format)

    @post(
        _ITEM + "/apply",
        operation_id="ApplyConfig",
        opt=WRITE,
        status_code=HTTP_202_ACCEPTED,
        responses=problems(404, 409, 422),
        description="Apply a plan (a `config.apply` job): its base revision, patch and hash, "
        "a reason and `confirm` repeating the config's name. 409 `plan_stale` when the config "
        "moved or the plan changed (`current_revision`); 409 `lock_held` names the job "
        "changing it; 422 `preflight_refused` lists the findings that block it. Requires an "
        "Idempotency-Key.",
    )
    async def apply(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        domain: DomainPath,
        name: NamePath,
        data: JSONBody[ConfigApplyRequest],
        idempotency_key: IdempotencyKey,
        config_scope: ScopeQuery = "platform",
    ) -> Job:
        return await jobs.create(
            kind_name="config.apply",
            reason=data.reason,
            params={
                "domain": domain,
                "name": name,
                "scope": config_scope,
                "base_revision": data.base_revision,
                "patch": msgspec.to_builtins(data.patch),
                "plan_hash": data.plan_hash,
                "confirm": data.confirm,
            },
            principal=request.user,
            idempotency_key=idempotency_key,
        )

    @post(
        _ITEM + "/rollback",
        operation_id="RollbackConfig",
        opt=WRITE,
        status_code=HTTP_202_ACCEPTED,
        responses=problems(404, 409, 422),
        description="Roll back to an earlier revision as planned by PlanConfigRollback (a "
        "`config.rollback` job; the same checks as ApplyConfig).",
    )
    async def rollback(
        self,
        request: AnyRequest,
        jobs: NamedDependency[JobService],
        domain: DomainPath,
        name: NamePath,
        data: JSONBody[ConfigRollbackRequest],
        idempotency_key: IdempotencyKey,
        config_scope: ScopeQuery = "platform",
    ) -> Job:
        return await jobs.create(
            kind_name="config.rollback",
            reason=data.reason,
            params={
                "domain": domain,
                "name": name,
                "scope": config_scope,
                "base_revision": data.base_revision,
                "target_revision": data.target_revision,
                "plan_hash": data.plan_hash,
                "confirm": data.confirm,
            },
            principal=request.user,
            idempotency_key=idempotency_key,
        )


class ConfigPlansController(Controller):
    path = "/admin/v1/plans/config"
    tags = ["config"]

    @post(
        _ITEM,
        operation_id="PlanConfigChange",
        opt=READ,
        status_code=HTTP_200_OK,
        responses=problems(404, 409, 422),
        description="Plan a proposed document against `base_revision` without side effects: "
        "RFC 6902 patch, line diff, impact (services that reload, tenants whose route "
        "changes), guardrail findings, the verification sample and `plan_hash` (the same "
        "inputs give the same plan). 409 `plan_stale` when the config is no longer at "
        "`base_revision`; 422 `config_invalid` with every finding.",
    )
    async def plan(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        data: JSONBody[PlanRequest],
        config_scope: ScopeQuery = "platform",
    ) -> ConfigPlan:
        _, cid = configs.config_id(domain, name, config_scope)
        return await configs.plan(cid, data.base_revision, data.document, data.format)

    @post(
        _ITEM + "/rollback",
        operation_id="PlanConfigRollback",
        opt=READ,
        status_code=HTTP_200_OK,
        responses=problems(404, 409, 422),
        description="Plan going back to `target_revision` (from the history) from "
        "`base_revision`: the same plan as any change.",
    )
    async def plan_rollback(
        self,
        configs: NamedDependency[ConfigService],
        domain: DomainPath,
        name: NamePath,
        data: JSONBody[RollbackPlanRequest],
        config_scope: ScopeQuery = "platform",
    ) -> ConfigPlan:
        _, cid = configs.config_id(domain, name, config_scope)
        return await configs.plan_rollback(cid, data.base_revision, data.target_revision)


class DefinitionsController(Controller):
    path = "/admin/v1/definitions"
    tags = ["config"]

    @get(
        "/",
        operation_id="ListDefinitions",
        opt=READ,
        responses=problems(),
        description="Runner definitions (effects, sagas) with version and sha256 as each "
        "Runner reports them, and where each is active (runner.activation configs).",
    )
    async def list_definitions(
        self, definitions: NamedDependency[DefinitionsService]
    ) -> DefinitionsOverview:
        return await definitions.overview()

    @get(
        "/{definition_type:str}/{name:str}/{version:int}",
        operation_id="GetDefinition",
        opt=READ,
        responses=problems(404),
        description="One definition's document, as a Runner holds it (read-only).",
    )
    async def get_definition(
        self,
        definitions: NamedDependency[DefinitionsService],
        definition_type: DefinitionTypePath,
        name: DefinitionNamePath,
        version: VersionPath,
    ) -> dict[str, Any]:
        return await definitions.document(definition_type, name, version)
