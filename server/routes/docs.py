"""``GET /docs``: the API reference as one self-contained HTML page.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, so on an offline cluster it is a
blank page. The only Swagger UI on PyPI (swagger-ui-bundle 1.1) ships Swagger UI 4,
which cannot read the OpenAPI 3.1 that FastAPI writes; so this page is built on the
server from the same schema, with no script and nothing fetched. ``/openapi.json`` stays
the machine-readable form, for any OpenAPI viewer or client generator.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "code{background:#f3f3f3;padding:0 .2rem}h2{margin-top:2rem;font-size:1.1rem}"
    "pre{white-space:pre-wrap;background:#f8f8f8;padding:.5rem}"
)


def _schema_name(content: dict[str, Any] | None) -> str:
    ref = ((content or {}).get("application/json") or {}).get("schema", {}).get("$ref", "")
    return str(ref).rsplit("/", 1)[-1]


def render(schema: dict[str, Any]) -> str:
    """The HTML page for an OpenAPI schema: every operation with its summary,
    description, request body and responses."""
    info = schema.get("info", {})
    parts = [
        f"<!doctype html><meta charset=utf-8><title>{escape(info.get('title', 'API'))}</title>",
        f"<style>{_STYLE}</style>",
        f"<h1>{escape(info.get('title', 'API'))} {escape(str(info.get('version', '')))}</h1>",
        f"<p>{escape(info.get('summary', ''))}</p>",
        '<p>Machine-readable schema: <a href="/openapi.json"><code>/openapi.json</code></a>.</p>',
    ]
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            parts.append(f"<h2><code>{escape(method.upper())} {escape(path)}</code></h2>")
            parts.append(f"<p><b>{escape(op.get('summary', ''))}</b></p>")
            if op.get("description"):
                parts.append(f"<pre>{escape(op['description'])}</pre>")
            body = _schema_name(op.get("requestBody", {}).get("content"))
            if body:
                parts.append(f"<p>Request body: <code>{escape(body)}</code></p>")
            answers = [
                f"<li><code>{escape(str(code))}</code> {escape(r.get('description', ''))}</li>"
                for code, r in op.get("responses", {}).items()
            ]
            parts.append("<ul>" + "".join(answers) + "</ul>")
    return "\n".join(parts)


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request) -> HTMLResponse:
    """The API reference, offline."""
    return HTMLResponse(render(request.app.openapi()))
