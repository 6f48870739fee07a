"""Build the ASGI app: all routes for `serve`/`dev`, or one route for one Lambda.

Local and deployed behaviour are the same code: a Lambda handler is this app, holding one
route, wrapped by Mangum.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware

from shared.api.errors import install_error_handlers
from shared.api.middleware import BodyLimitAndSecurityHeaders
from shared.api.routes import ROUTE_NAMES, ROUTE_TABLES
from shared.api.routes.bulk import IMPORT_PATH
from shared.api.schemas import Health
from shared.coldstart import pause_collector, resume_collector
from shared.container import Container, default_container
from shared.observability.metrics import NULL, Backend
from shared.observability.middleware import ObserveRequests


def create_app(
    *, only: Iterable[str] | None = None, container: Callable[[], Container] = default_container,
    static_dir: Path | None = None, max_body_bytes: int = 128 * 1024, cors_origins: Iterable[str] = (),
    max_import_bytes: int = 1024 * 1024,
    metrics: Backend | None = None, observe: bool = True, extra_routers: Iterable[APIRouter] = (),
):
    """The API. `only` keeps the named routes (one Lambda = one route): only those are
    built (shared/api/routes/table.py).

    `observe` adds the request log line and metrics (shared/observability); `metrics` is
    their backend: by default the process's Prometheus registry for the full app (served
    at `/metrics`), none for a route subset. `extra_routers` (the dev pages) come before
    the UI's catch-all."""
    wanted = set(only) if only is not None else None
    if wanted is not None and not wanted <= set(ROUTE_NAMES):
        raise ValueError(f"unknown routes: {sorted(wanted - set(ROUTE_NAMES))}")
    if observe and metrics is None and wanted is None:
        from shared.observability.prom import process_backend

        metrics = process_backend()
    metrics = metrics or NULL
    app = _fastapi_app(container, metrics, kek_age_gauge=observe and wanted is None)
    for table in ROUTE_TABLES:
        if wanted is None or wanted & set(table.names):
            app.include_router(table.router(wanted))
    install_error_handlers(app)
    if wanted is None:  # the full app (serve, dev) also answers health, metrics and docs
        _add_healthz(app, container)
        if observe and hasattr(metrics, "render"):
            from shared.observability.endpoint import router as metrics_router

            app.include_router(metrics_router)
        _mount_docs(app)
    for router in extra_routers:
        app.include_router(router)
    if static_dir is not None and (static_dir / "index.html").is_file():
        _mount_ui(app, static_dir)
    asgi = _middleware(app, metrics, observe=observe, max_body_bytes=max_body_bytes,
                       max_import_bytes=max_import_bytes, cors_origins=list(cors_origins))
    asgi.fastapi = app  # tests and the OpenAPI dump reach the FastAPI app through this
    return asgi


def _fastapi_app(container: Callable[[], Container], metrics: Backend, *, kek_age_gauge: bool) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if kek_age_gauge:  # the full app sets the KEK-age gauge once at start-up
            from shared.observability.kek_age import record_kek_age

            await run_in_threadpool(record_kek_age, container().db, metrics)
        yield

    app = FastAPI(
        title="meshhook-secrets", version="0.1.0",
        description="Project-scoped secrets for MeshHook.",
        openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,
        generate_unique_id_function=lambda route: route.name, lifespan=lifespan,
    )
    app.state.container = container
    app.state.metrics = metrics
    return app


def _add_healthz(app: FastAPI, container: Callable[[], Container]) -> None:
    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["ops"])
    def healthz() -> JSONResponse:
        """200 while the database answers, 503 otherwise."""
        ok = container().db.ping()
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503,
                            headers=None if ok else {"Retry-After": "1"})


def _middleware(app: FastAPI, metrics: Backend, *, observe: bool, max_body_bytes: int,
                max_import_bytes: int, cors_origins: list[str]):
    asgi = BodyLimitAndSecurityHeaders(app, max_body_bytes, per_route=[(IMPORT_PATH, max_import_bytes)])
    if cors_origins:
        asgi = CORSMiddleware(asgi, allow_origins=cors_origins, allow_credentials=False,
                              allow_methods=["GET", "POST", "PUT", "DELETE"],
                              allow_headers=["Authorization", "Content-Type", "If-Match"],
                              expose_headers=["ETag", "X-Request-Id", "Retry-After"], max_age=600)
    if observe:  # outermost: it times, logs and ids every response, the 413 refusals too
        asgi = ObserveRequests(asgi, metrics)
    return asgi


DOCS_ASSETS = "/api/docs/assets"


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI at /api/docs, its files served from the `swagger-ui-bundle` package (no
    CDN: a page that can call the API with the user's token loads no third-party script).
    Without that package (a deployment that does not need it) there is no /api/docs."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return
    from fastapi.openapi.docs import get_swagger_ui_html
    from starlette.staticfiles import StaticFiles

    app.mount(DOCS_ASSETS, StaticFiles(directory=swagger_ui_path), name="docs_assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/openapi.json", title=f"{app.title} API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def _mount_ui(app: FastAPI, static_dir: Path) -> None:
    root = static_dir.resolve()
    index = root / "index.html"

    @app.get("/{path:path}", include_in_schema=False)
    def ui(path: str) -> FileResponse:
        # Static files of the built SvelteKit app; anything else is the SPA's to route.
        # Dotfiles and dot-folders (build stamps, .well-known leftovers, editor files) are
        # not part of the UI: 404, never served.
        if path == "api" or path.startswith("api/") or any(p.startswith(".") for p in path.split("/")):
            raise HTTPException(404)
        candidate = (root / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(root):
            return FileResponse(candidate)
        return FileResponse(index)


def lambda_handler(route_name: str) -> Callable[[dict, object], dict]:
    """The `handler(event, context)` of one function in serverless.yml.

    Settings are read and the app built at the first invocation, then kept for the warm
    container's life, so a cold import stays small and a bad setting fails loudly. Powertools
    is imported then too: its Logger adds the Lambda context to the log lines, and the
    invocation's metrics leave as one EMF line when it ends.
    """
    if route_name not in ROUTE_NAMES:
        raise ValueError(f"unknown route {route_name}")

    @functools.cache
    def build():
        pause_collector()  # the app is long-lived too: frozen with the import's objects
        try:
            return _build()
        finally:
            resume_collector()

    def _build():
        from mangum import Mangum

        from shared.config import get_settings
        from shared.observability.emf import EmfBackend
        from shared.observability.lambda_context import with_lambda_context

        settings = get_settings()
        backend = EmfBackend()
        app = create_app(only=[route_name], max_body_bytes=settings.max_body_bytes,
                         cors_origins=settings.cors_origin_list, max_import_bytes=settings.max_import_bytes,
                         metrics=backend)
        return with_lambda_context(Mangum(app, lifespan="off"), backend)

    def handler(event: dict, context: object) -> dict:
        return build()(event, context)

    resume_collector()  # the handler module's import is done (functions/ paused it)
    return handler
