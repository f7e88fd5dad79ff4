"""Detectviz anomaly service: threshold, SPC, statistical and ML detectors served over HTTP.

The FastAPI application lives in `detectviz_anomaly.app` (`app` for uvicorn, `create_app()` for
tests); detectors live in `detectviz_anomaly.methods`; trained models are persisted by
`detectviz_anomaly.store`.
"""
