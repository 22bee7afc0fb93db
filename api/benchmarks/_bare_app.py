"""The baseline of bench_request_path: a bare Litestar app with one hello handler, no middleware,
no logging configuration (what the framework costs alone). Served by uvicorn or granian."""

from __future__ import annotations

from litestar import Litestar, get


@get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[hello], logging_config=None, debug=False)
