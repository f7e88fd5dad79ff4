"""FastAPI application: `GET /healthz`, `POST /v1/detect`, `POST /v1/train`,
`GET /v1/models/{id}`, `PUT /v1/models/{id}/config`. OpenAPI at `/openapi.json` and `/docs`.

Models are persisted under `DETECTVIZ_ANOMALY_MODELS_DIR` (default `data/models`) and loaded at
start. Run: `uvicorn detectviz_anomaly.app:app --port 8090`."""
from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from . import service
from .methods.common import MethodError
from .methods.registry import METHODS
from .schemas import ConfigUpdate, DetectRequest, DetectResponse, ModelInfo, TrainRequest, TrainResponse
from .store import ModelStore


def create_app(models_dir: str | Path | None = None) -> FastAPI:
    """Build an app whose model store lives in `models_dir` (env or `data/models` by default)."""
    directory = Path(models_dir or os.environ.get("DETECTVIZ_ANOMALY_MODELS_DIR", "data/models"))
    store = ModelStore(directory)
    store.load_all()
    app = FastAPI(title="Detectviz anomaly service", version="0.1.0",
                  description=f"Anomaly detection methods: {', '.join(METHODS)}")
    app.state.store = store

    @app.exception_handler(MethodError)
    async def _method_error(_: Request, error: MethodError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(error)})

    @app.exception_handler(service.NotFound)
    async def _not_found(_: Request, error: service.NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(error)})

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        return {"status": "ok", "models": len(store.models), "methods": METHODS}

    @app.post("/v1/detect", response_model=DetectResponse)
    def detect(request: DetectRequest) -> DetectResponse:
        return service.detect(request, store)

    @app.post("/v1/train", response_model=TrainResponse)
    def train(request: TrainRequest) -> TrainResponse:
        model_id, version = service.train(request, store)
        return TrainResponse(model_id=model_id, version=version)

    @app.get("/v1/models/{model_id}", response_model=ModelInfo)
    def get_model(model_id: str) -> ModelInfo:
        return service.model_info(model_id, store)

    @app.put("/v1/models/{model_id}/config", response_model=ModelInfo)
    def put_config(model_id: str, update: ConfigUpdate) -> ModelInfo:
        return service.update_config(model_id, update, store)

    return app


app = create_app()
