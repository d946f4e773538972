"""The portal's web application (FastAPI on Starlette, Jinja2 with autoescaping).

Assembly only: the pages are in ``pages.py``, the JSON API in ``api.py``, access rules in
``security.py``, state in ``store.py``/``accounts.py``/``audit.py``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from orchestration.home import HOME_ENV, Home
from orchestration.portal import store
from orchestration.portal.security import (
    LANG_COOKIE,
    BodyLimit,
    SecurityHeaders,
    Signer,
)
from orchestration.portal.uploads import MAX_UPLOAD_BYTES

HERE = Path(__file__).resolve().parent
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every page: a cell or a file name is text, never markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True,
)


def create_app(home: Home) -> FastAPI:
    from orchestration.portal import api, console, errors, jobs, pages

    if not home.exists():
        raise FileNotFoundError(home.root)
    # The intake reads the members and contracts of the home's area (active_area).
    os.environ[HOME_ENV] = str(home.root)
    store.initialise(home)
    worker = jobs.Worker(home)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        worker.start()  # the console's builds, one at a time
        yield
        worker.stop()

    app = FastAPI(title="kurume-hub portal", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.home = home
    app.state.jobs = worker
    app.state.signer = Signer(store.secret_key(home))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(console.router)
    # Starlette's HTTPException: FastAPI's (raised by routes) and the router's own 404/405.
    app.add_exception_handler(HTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, errors.validation_error)
    app.add_middleware(BodyLimit, upload_max_bytes=MAX_UPLOAD_BYTES)
    app.add_middleware(SecurityHeaders)  # outermost: a 413 sent early carries them too
    return app


def lang_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if wanted == "en" else "ja"


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    from orchestration.portal.security import principal

    who = context.pop("who", None) or _quiet_principal(request, principal)
    page = render_page(request.app.state.home, name, lang_of(request), request.url.path,
                       who=who, **context)
    return HTMLResponse(page, status_code=status)


def render_page(home: Home, name: str, lang: str, path: str, **context) -> str:
    """A page as text (also for answers sent before a request reaches a route)."""
    from orchestration.area import area_for

    return TEMPLATES.get_template(name).render(
        lang=lang, t=lambda ja, en: en if lang == "en" else ja, area=area_for(home), path=path,
        **context)


def _quiet_principal(request: Request, find):
    try:
        return find(request)
    except Exception:  # an error page must render even when the state cannot be read
        return None
