"""Request and response bodies of the release routes (api/routers/releases.py; assistant/releases.py
says what a release and its arms are)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from api.schemas import RowId, SafeText, Strict, clean_json
from api.schemas_analytics import MetricSetOut


class ReleaseStartIn(Strict):
    share: float = Field(ge=0.0, le=1.0, description="fraction of new sessions served the candidate")
    suite: SafeText = Field(
        min_length=1,
        max_length=256,
        description="the eval set promote must pass: a data set or golden set name in the data sets folder",
    )
    version: RowId | None = Field(
        None, description="the candidate's knowledge-base version (default: the published one)"
    )
    settings: Annotated[dict[str, Any], AfterValidator(clean_json)] = Field(
        default_factory=dict,
        description="the candidate's settings over the published ones: "
        "llm_model, llm_temperature, llm_max_tokens, llm_min_grounded_rate, answerable_threshold",
    )


class ReleaseShareIn(Strict):
    share: float = Field(ge=0.0, le=1.0)


class ArmOut(BaseModel):
    name: Literal["published", "candidate"]
    version: int | None = Field(description="the knowledge-base version it serves now")
    settings: dict[str, Any]
    sessions: int = Field(description="sessions assigned to the arm")
    metrics: MetricSetOut = Field(description="from the stored turns of sessions started during the release")


class GateFailureOut(BaseModel):
    metric: str
    baseline: float | None
    candidate: float | None
    allowed: float | None
    reason: str


class ReleaseOut(BaseModel):
    id: int
    kb: str
    state: Literal["running", "aborted", "promoted"]
    share: float
    suite: str | None
    started_at: datetime
    ended_at: datetime | None
    started_by: str | None
    gate: dict[str, Any]
    arms: list[ArmOut]


class GateRefusedOut(BaseModel):
    detail: str
    failures: list[GateFailureOut]
    checked: list[str]
    baseline_run: int | None
    candidate_run: int | None
