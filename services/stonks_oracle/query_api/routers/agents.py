"""AI agents: CRUD, their variants and their performance logs."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from stonks_oracle.common import DB, NotFound, Page

from ..sql import READ_ERRORS, WRITE_ERRORS, PartialUpdate, Select, Text, update_sql
from .variants import SELECT_VARIANTS, VariantCreate

router = APIRouter(prefix="/api/agents", tags=["agents"], responses=READ_ERRORS)

AgentType = Literal["extractor", "trend_analyst", "recommender", "risk_reviewer", "macro_analyst"]
AgentStatus = Literal["active", "paused", "retired"]
Name = Annotated[Text, Field(min_length=1, max_length=100)]
Model = Annotated[Text, Field(min_length=1, max_length=100)]
Description = Annotated[Text, Field(max_length=1000)]
SELECT_AGENTS = (
    "SELECT a.*, (SELECT count(*) FROM agent_variants v WHERE v.agent_id = a.id)::int"
    " AS variant_count FROM ai_agents a"
)


class AgentCreate(BaseModel):
    """A new agent."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: Name
    agent_type: AgentType
    default_model: Model
    description: Description | None = None
    status: AgentStatus = "active"


class AgentUpdate(PartialUpdate):
    """A partial update of an agent (only description may be set to null)."""

    NULLABLE = frozenset({"description"})
    name: Name | SkipJsonSchema[None] = None
    agent_type: AgentType | SkipJsonSchema[None] = None
    default_model: Model | SkipJsonSchema[None] = None
    description: Description | None = None
    status: AgentStatus | SkipJsonSchema[None] = None


async def _agent(db: DB, agent_id: UUID) -> dict[str, Any]:
    agent = await db.fetch_one(f"{SELECT_AGENTS} WHERE a.id = $1", agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return agent


@router.get("")
async def list_agents(
    db: DB,
    page: Page,
    status: AgentStatus | None = None,
    agent_type: AgentType | None = None,
) -> list[dict[str, Any]]:
    """Agents ordered by created_at then id, with their variant count."""
    select = (
        Select(SELECT_AGENTS).where("a.status = {}", status).where("a.agent_type = {}", agent_type)
    )
    return await db.fetch_all(select.sql("a.created_at, a.id", page), *select.args)


@router.post("", status_code=201, responses=WRITE_ERRORS)
async def create_agent(body: AgentCreate, db: DB) -> dict[str, Any]:
    """Create an agent (409 when the name is taken)."""
    row = await db.fetch_one(
        "INSERT INTO ai_agents (name, agent_type, default_model, description, status)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        body.name,
        body.agent_type,
        body.default_model,
        body.description,
        body.status,
    )
    assert row is not None
    return await _agent(db, row["id"])


@router.get("/{agent_id}")
async def get_agent(agent_id: UUID, db: DB) -> dict[str, Any]:
    """One agent with its variants."""
    agent = await _agent(db, agent_id)
    agent["variants"] = await db.fetch_all(
        f"{SELECT_VARIANTS} WHERE agent_id = $1 ORDER BY created_at, id", agent_id
    )
    return agent


@router.patch("/{agent_id}", responses=WRITE_ERRORS)
async def update_agent(agent_id: UUID, body: AgentUpdate, db: DB) -> dict[str, Any]:
    """Change some fields of an agent (409 when renamed onto a taken name)."""
    values = body.changes()
    if values:
        row = await db.fetch_one(update_sql("ai_agents", values), *values.values(), agent_id)
        if row is None:
            raise NotFound(f"agent {agent_id} not found")
    return await _agent(db, agent_id)


@router.delete("/{agent_id}", status_code=204, response_class=Response)
async def delete_agent(agent_id: UUID, db: DB) -> Response:
    """Delete an agent with its variants and logs."""
    if await db.execute("DELETE FROM ai_agents WHERE id = $1", agent_id) == "DELETE 0":
        raise NotFound(f"agent {agent_id} not found")
    return Response(status_code=204)


@router.get("/{agent_id}/variants")
async def list_agent_variants(agent_id: UUID, db: DB, page: Page) -> list[dict[str, Any]]:
    """The variants of one agent."""
    await _agent(db, agent_id)
    select = Select(SELECT_VARIANTS).where("agent_id = {}", agent_id)
    return await db.fetch_all(select.sql("created_at, id", page), *select.args)


@router.post("/{agent_id}/variants", status_code=201, responses=WRITE_ERRORS)
async def create_agent_variant(agent_id: UUID, body: VariantCreate, db: DB) -> dict[str, Any]:
    """Add a variant to an agent (409 when the agent already has a variant of that name)."""
    await _agent(db, agent_id)
    row = await db.fetch_one(
        "INSERT INTO agent_variants"
        " (agent_id, name, model, prompt_version, parameters, traffic_weight, is_active)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        agent_id,
        body.name,
        body.model,
        body.prompt_version,
        body.parameters,
        body.traffic_weight,
        body.is_active,
    )
    assert row is not None
    return row


@router.get("/{agent_id}/performance")
async def list_agent_performance(
    agent_id: UUID,
    db: DB,
    page: Page,
    variant_id: Annotated[UUID | None, Query()] = None,
) -> list[dict[str, Any]]:
    """Performance logs of one agent, latest period first."""
    await _agent(db, agent_id)
    select = (
        Select("SELECT * FROM agent_performance_logs")
        .where("agent_id = {}", agent_id)
        .where("variant_id = {}", variant_id)
    )
    return await db.fetch_all(select.sql("period_start DESC, id", page), *select.args)
