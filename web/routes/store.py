"""The demo store page (customers) and the widget's static files."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from retrieval.attributes import attribute
from retrieval.models import ProductRow
from retrieval.presentation import example_requests, format_price, kind_of, shelf_name
from shop.messages import TROUBLE_MESSAGE
from web.deps import DbDep, StateDep
from web.state import WEB_DIR

router = APIRouter(tags=["store"])
STATIC = WEB_DIR / "static"
# widget.js holds this placeholder where the shop's one "having trouble" text goes (shop/messages.py).
TROUBLE_PLACEHOLDER = '"__TROUBLE_MESSAGE__"'
COLOUR = attribute("colour")


def featured(db: DbDep, catalog: str, *, categories: int = 6, per_category: int = 4) -> list[dict[str, Any]]:
    """The biggest kinds of product of the shop's catalog (its types, else its categories), a few products each.

    Empty before ingestion. Only the configured catalog: a database may hold several (``python -m retrieval stats``).
    """
    try:
        in_catalog = ProductRow.catalog == catalog
        column = ProductRow.product_type
        if db.scalar(select(func.count()).where(in_catalog, column.is_not(None))) == 0:
            column = ProductRow.category  # e.g. Flipkart: a category tree and no product type
        top = db.execute(
            select(column, func.count()).where(in_catalog, column.is_not(None))
            .group_by(column).order_by(func.count().desc(), column).limit(categories)
        ).all()
        shelves = []
        for value, count in top:
            rows = db.scalars(select(ProductRow).where(in_catalog, column == value).order_by(ProductRow.row_id).limit(per_category)).all()
            shelves.append({"name": shelf_name("category" if column is ProductRow.category else "product_type", str(value)),
                            "count": count, "products": [shelf_item(row) for row in rows]})
        return shelves
    except SQLAlchemyError:  # no catalog ingested yet: the page still works, with the widget only
        db.rollback()
        return []


def shelf_item(row: ProductRow) -> dict[str, Any]:
    """What a store card shows of one product (the template escapes every value)."""
    return {"title": row.title, "image_url": row.image_url, "initial": (kind_of(row) or row.title)[:1].upper(),
            "details": " · ".join(v for v in (COLOUR.display(row), row.gender) if v), "price": format_price(row)}


_examples: dict[tuple[str, int, int], list[str]] = {}


def store_examples(db: DbDep, catalog: str) -> list[str]:
    """The catalog's example requests (``retrieval.presentation``), recomputed only when the catalog changes."""
    try:
        count, newest = db.execute(select(func.count(), func.max(ProductRow.row_id)).where(ProductRow.catalog == catalog)).one()
        key = (catalog, int(count or 0), int(newest or 0))
        if key not in _examples:
            rows = db.scalars(select(ProductRow).where(ProductRow.catalog == catalog)).all()
            _examples.clear()
            _examples[key] = [example.text for example in example_requests(rows)]
        return _examples[key]
    except SQLAlchemyError:
        db.rollback()
        return []


@router.get("/", response_class=HTMLResponse)
def store_page(request: Request, state: StateDep, db: DbDep) -> HTMLResponse:
    catalog = state.catalog_name
    return state.templates.TemplateResponse(request, "store.html", {"shelves": featured(db, catalog), "examples": store_examples(db, catalog)})


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


@router.get("/store.js", include_in_schema=False)
def store_js() -> FileResponse:
    return FileResponse(STATIC / "store.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@router.get("/console/static/{name}", include_in_schema=False)
def console_static(name: str) -> FileResponse:
    allowed = {"console.js": "text/javascript", "console.css": "text/css", "review.js": "text/javascript", "model.js": "text/javascript",
               "console_common.js": "text/javascript"}
    if name not in allowed:
        raise HTTPException(status_code=404, detail="Not found.")
    return FileResponse(STATIC / name, media_type=allowed[name], headers={"Cache-Control": "no-cache"})


@router.get("/healthz", include_in_schema=False)
def health() -> dict[str, str]:
    return {"status": "ok"}
