"""Typed request and response bodies of the HTTP API (pydantic v2); FastAPI turns validation
failures into 422 responses whose `loc` names the offending field."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator


# Values must be finite: NaN and infinities are rejected with the position of the bad value.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Series(BaseModel):
    """One univariate series; `timestamps` is optional but, when given, as long as `values`."""

    series_id: str = Field(min_length=1)
    timestamps: list[float | str] | None = None
    values: list[FiniteFloat] = Field(min_length=1)

    @model_validator(mode="after")
    def _lengths_match(self) -> "Series":
        if self.timestamps is not None and len(self.timestamps) != len(self.values):
            raise ValueError(f"timestamps has {len(self.timestamps)} items but values has {len(self.values)}")
        return self


class Frame(BaseModel):
    """A multivariate frame for an asset group: one row per point, one value per column."""

    frame_id: str = "frame"
    columns: list[str] = Field(min_length=1)
    timestamps: list[float | str] | None = None
    rows: list[list[FiniteFloat]] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape_matches(self) -> "Frame":
        for index, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"rows[{index}] has {len(row)} values but there are {len(self.columns)} columns")
        if self.timestamps is not None and len(self.timestamps) != len(self.rows):
            raise ValueError(f"timestamps has {len(self.timestamps)} items but rows has {len(self.rows)}")
        return self


class _Data(BaseModel):
    series: list[Series] | None = None
    frame: Frame | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "_Data":
        if (self.series is None) == (self.frame is None):
            raise ValueError("give exactly one of series (a batch of series) or frame (columns and rows)")
        if self.series is not None and not self.series:
            raise ValueError("series must not be empty")
        return self


class DetectRequest(_Data):
    """Score data with a method and params, or with a trained model (`model_id`)."""

    method: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    model_id: str | None = None

    @model_validator(mode="after")
    def _method_or_model(self) -> "DetectRequest":
        if self.method is None and self.model_id is None:
            raise ValueError("give method or model_id")
        return self


class SeriesResult(BaseModel):
    """Per-point results, column-wise: scores in [0, 1], flags, and a reason for flagged points."""

    series_id: str
    timestamps: list[float | str] | None = None
    scores: list[float]
    flags: list[bool]
    reasons: list[str | None]


class DetectResponse(BaseModel):
    method: str
    model_id: str | None = None
    version: int | None = None
    results: list[SeriesResult]


class TrainRequest(_Data):
    """Fit a model on a training window (assumed normal) of one series or an asset-group frame.
    `labels` (0/1 per point), when given, are used only for the model's quality metrics."""

    name: str = Field(min_length=1)
    method: str
    params: dict[str, Any] = Field(default_factory=dict)
    model_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    labels: list[int] | None = None

    @model_validator(mode="after")
    def _single_series(self) -> "TrainRequest":
        if self.series is not None and len(self.series) != 1:
            raise ValueError("train takes exactly one series (or a frame for an asset group)")
        return self


class TrainResponse(BaseModel):
    model_id: str
    version: int


class ModelInfo(BaseModel):
    model_id: str
    name: str
    method: str
    version: int
    params: dict[str, Any]
    kind: str
    columns: list[str] | None = None
    created_at: str
    updated_at: str
    quality: dict[str, float]


class ConfigUpdate(BaseModel):
    """New params (merged into the current ones) and optionally a new name; bumps the version."""

    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
