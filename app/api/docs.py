"""/docs: Swagger UI served by this app alone, never from a CDN.

swagger-ui-dist comes from the npm registry at set-up (package.json; `make run` and `make test`
run `npm ci`) and is not committed. Only the three files the page loads are served, from
node_modules: the package also ships a demo page whose initialiser points at a public petstore,
source maps and other bundles. The page has no inline script (`/static/docs.js` starts Swagger
UI), so its Content-Security-Policy (app.core.headers.DOCS_POLICY) allows scripts from 'self'
only, with no hash. A server started without `make` (plain uvicorn) answers /docs with a 503
that says what to run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from app.api.templating import static_url
from app.core.config import PROJECT_ROOT
from app.core.errors import NotFound, Unavailable
from app.core.i18n import N_

router = APIRouter()

SWAGGER_UI_DIR = PROJECT_ROOT / "node_modules" / "swagger-ui-dist"
VENDOR_URL = "/static/vendor/swagger-ui"  # under /static: public, and cached like static files
SWAGGER_UI_FILES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}
# The URLs carry the package's version, so an upgrade is never hidden by a browser's cache.
VENDOR_CACHE = "public, max-age=604800"
NOT_INSTALLED = N_(
    "The API documentation is not installed on this server. Start it with `make run`, which"
    " installs the front-end packages, then reload this page."
)
PAGE_NOT_FOUND = N_("Page not found")


def _installed_version() -> str | None:
    """swagger-ui-dist's version, or None when any file the page needs is missing."""
    manifest = SWAGGER_UI_DIR / "package.json"
    if not manifest.is_file() or not all((SWAGGER_UI_DIR / n).is_file() for n in SWAGGER_UI_FILES):
        return None
    return str(json.loads(manifest.read_text())["version"])


def _page(request: Request, version: str) -> str:
    root_path = request.scope.get("root_path", "").rstrip("/")
    openapi_url = root_path + (request.app.openapi_url or "")

    def vendor(name: str) -> str:
        return escape(f"{root_path}{VENDOR_URL}/{name}?v={version}")

    # Swagger UI itself is English only, hence lang="en" whatever the person's language.
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{escape(request.app.title)} - Swagger UI</title>
<link rel="stylesheet" href="{vendor("swagger-ui.css")}">
<link rel="icon" type="image/png" href="{vendor("favicon-32x32.png")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{vendor("swagger-ui-bundle.js")}"></script>
<script src="{escape(root_path + static_url("docs.js"))}"></script>
</body>
</html>
"""


@router.get("/docs", include_in_schema=False)
def docs_page(request: Request) -> HTMLResponse:
    """Swagger UI for this API's OpenAPI schema."""
    # A plain `def`: FastAPI runs it in a thread, so the file checks never block the loop.
    version = _installed_version()
    if version is None:
        raise Unavailable(NOT_INSTALLED)
    return HTMLResponse(_page(request, version))


def _file_route(name: str, media_type: str) -> Callable[[], FileResponse]:
    def swagger_ui_file() -> FileResponse:
        """One of Swagger UI's files, from the npm package."""
        path = SWAGGER_UI_DIR / name  # looked up per request: `make run` may install it later
        if not path.is_file():
            raise NotFound(PAGE_NOT_FOUND)
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": VENDOR_CACHE})

    return swagger_ui_file


# One route per file, so no other name in the package can be asked for.
for _name, _media_type in SWAGGER_UI_FILES.items():
    router.add_api_route(
        f"{VENDOR_URL}/{_name}",
        _file_route(_name, _media_type),
        methods=["GET"],
        include_in_schema=False,
    )
