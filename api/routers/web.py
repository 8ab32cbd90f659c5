"""The browser side, plain files from api/web: the embeddable widget, its demo page, the console."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

router = APIRouter(include_in_schema=False)


def _file(name: str, media_type: str) -> FileResponse:
    # no-cache: browsers revalidate (ETag), so a deployment's new widget is picked up at once.
    return FileResponse(WEB_DIR / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/widget.js")
def widget() -> FileResponse:
    return _file("widget.js", "text/javascript; charset=utf-8")


@router.get("/widget-demo")
def widget_demo() -> FileResponse:
    return _file("widget-demo.html", "text/html; charset=utf-8")


@router.get("/console")
def console() -> FileResponse:
    return _file("console.html", "text/html; charset=utf-8")
