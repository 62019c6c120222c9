"""The demo store page (customers) and the widget's static files."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from retrieval.models import ProductRow
from shop.messages import TROUBLE_MESSAGE
from web.deps import DbDep, StateDep
from web.state import WEB_DIR

router = APIRouter(tags=["store"])
STATIC = WEB_DIR / "static"
# widget.js holds this placeholder where the shop's one "having trouble" text goes (shop/messages.py).
TROUBLE_PLACEHOLDER = '"__TROUBLE_MESSAGE__"'


def featured(db: DbDep, *, categories: int = 6, per_category: int = 4) -> list[dict[str, Any]]:
    """The biggest product types of the store, with a few products each (empty before ingestion)."""
    try:
        top = db.execute(
            select(ProductRow.product_type, func.count())
            .where(ProductRow.product_type.is_not(None))
            .group_by(ProductRow.product_type)
            .order_by(func.count().desc())
            .limit(categories)
        ).all()
        shelves = []
        for product_type, count in top:
            rows = db.scalars(select(ProductRow).where(ProductRow.product_type == product_type).order_by(ProductRow.row_id).limit(per_category)).all()
            shelves.append({"name": product_type, "count": count, "products": rows})
        return shelves
    except SQLAlchemyError:  # no catalog ingested yet: the page still works, with the widget only
        db.rollback()
        return []


@router.get("/", response_class=HTMLResponse)
def store_page(request: Request, state: StateDep, db: DbDep) -> HTMLResponse:
    return state.templates.TemplateResponse(request, "store.html", {"shelves": featured(db)})


@lru_cache(maxsize=1)
def widget_source() -> str:
    """widget.js with the text it shows when the web app cannot be reached filled in."""
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    if TROUBLE_PLACEHOLDER not in source:
        raise RuntimeError(f"{STATIC / 'widget.js'} lost its {TROUBLE_PLACEHOLDER} placeholder")
    return source.replace(TROUBLE_PLACEHOLDER, json.dumps(TROUBLE_MESSAGE, ensure_ascii=False))


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    return Response(widget_source(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/widget.css", include_in_schema=False)
def widget_css() -> FileResponse:
    return FileResponse(STATIC / "widget.css", media_type="text/css", headers={"Cache-Control": "no-cache"})


@router.get("/console/static/{name}", include_in_schema=False)
def console_static(name: str) -> FileResponse:
    allowed = {"console.js": "text/javascript", "console.css": "text/css"}
    if name not in allowed:
        raise HTTPException(status_code=404, detail="Not found.")
    return FileResponse(STATIC / name, media_type=allowed[name], headers={"Cache-Control": "no-cache"})


@router.get("/healthz", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok"}
