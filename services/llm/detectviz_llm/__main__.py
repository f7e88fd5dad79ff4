"""`python -m detectviz_llm`: serve the API with uvicorn on `DETECTVIZ_LLM_LISTEN` (default 127.0.0.1:8091)."""

from __future__ import annotations

import logging
import os

import uvicorn


def main() -> None:
    listen = os.environ.get("DETECTVIZ_LLM_LISTEN", "127.0.0.1:8091")
    host, _, port = listen.rpartition(":")
    logging.basicConfig(level=os.environ.get("DETECTVIZ_LLM_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run("detectviz_llm.app:app", host=host or "127.0.0.1", port=int(port))


if __name__ == "__main__":
    main()
