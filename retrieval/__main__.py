"""Command line: ``python -m retrieval check | ingest | reindex | search "query" | stats``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from retrieval.attributes import categorical
from retrieval.errors import RetrievalError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m retrieval", description="Catalog ingestion and product search.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="try a mapping on the first rows of a catalog CSV; writes nothing")
    check.add_argument("--catalog", type=Path, help="CSV file (default: SHOP_CATALOG_PATH)")
    check.add_argument("--mapping", type=Path, help="YAML mapping (default: SHOP_CATALOG_MAPPING)")
    check.add_argument("--rows", type=int, default=2000, help="how many rows to sample (default: 2000)")
    ingest = sub.add_parser("ingest", help="load a catalog CSV (incrementally) into the store and the index")
    ingest.add_argument("--catalog", type=Path, help="CSV file (default: SHOP_CATALOG_PATH)")
    ingest.add_argument("--mapping", type=Path, help="YAML mapping (default: SHOP_CATALOG_MAPPING)")
    reindex = sub.add_parser("reindex", help="re-embed every product and rebuild the index")
    reindex.add_argument("--catalog", metavar="NAME", help="catalog name in the database (see `stats`); default: the name in --mapping or SHOP_CATALOG_MAPPING")
    reindex.add_argument("--mapping", type=Path, help="mapping naming the catalog (default: SHOP_CATALOG_MAPPING)")
    search = sub.add_parser("search", help="search the catalog")
    search.add_argument("query")
    search.add_argument("--catalog", metavar="NAME", help="catalog name in the database (see `stats`); default: the name in --mapping or SHOP_CATALOG_MAPPING")
    search.add_argument("--mapping", type=Path, help="mapping naming the catalog to search (default: SHOP_CATALOG_MAPPING)")
    search.add_argument("-k", "--top-k", type=int, default=10)
    for spec in categorical():
        flag = spec.name.replace("_", "-")
        if spec.filterable:
            search.add_argument(f"--{flag}", action="append", default=[], help=f"only products with this {spec.label} (repeatable)")
        if spec.excludable:
            search.add_argument(f"--not-{flag}", action="append", default=[], help=f"no products with this {spec.label} (repeatable)")
    search.add_argument("--price-min", type=float)
    search.add_argument("--price-max", type=float)
    stats = sub.add_parser("stats", help="what the store and the index hold, catalog by catalog")
    stats.add_argument("--catalog", metavar="NAME", help="catalog to mark (default: the name in --mapping or SHOP_CATALOG_MAPPING)")
    stats.add_argument("--mapping", type=Path, help="mapping naming the catalog to mark (default: SHOP_CATALOG_MAPPING)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit status (2 for a retrieval error, with its message)."""
    args = _parser().parse_args(argv)
    from shop.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    try:
        if args.command == "check":
            from retrieval.check import check_catalog

            checked = check_catalog(args.catalog or settings.catalog_path, args.mapping or settings.catalog_mapping,
                                    sample=args.rows)
            print("\n".join(checked.lines()))
            return checked.exit_code
        if args.command == "ingest":
            from retrieval.ingest import ingest

            report = ingest(settings, catalog_path=args.catalog, mapping_path=args.mapping, progress=True)
            print(report.summary())
        elif args.command == "reindex":
            from retrieval.ingest import build_index

            catalog = catalog_name(args, settings)
            count = build_index(settings, catalog=catalog, progress=True)
            print(f"{catalog}: {count} items re-embedded and indexed in {time.perf_counter() - started:.1f} s")
        elif args.command == "search":
            _search(args, settings)
        else:
            _stats(settings, catalog_name(args, settings))
    except RetrievalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def catalog_name(args: argparse.Namespace, settings: object) -> str:
    """The catalog a command works on: ``--catalog NAME``, else the name in ``--mapping``, else the configured mapping's."""
    from retrieval.mapping import load_mapping

    if args.catalog:
        return str(args.catalog)
    return load_mapping(args.mapping or settings.catalog_mapping).name  # type: ignore[attr-defined]


def _search(args: argparse.Namespace, settings: object) -> None:
    from retrieval import Filters, Retriever

    retriever = Retriever.open(settings, catalog=catalog_name(args, settings))  # type: ignore[arg-type]
    include = {spec.name: getattr(args, spec.name, []) for spec in categorical() if spec.filterable}
    exclude = {spec.name: getattr(args, f"not_{spec.name}", []) for spec in categorical() if spec.excludable}
    filters = Filters(include={k: v for k, v in include.items() if v}, exclude={k: v for k, v in exclude.items() if v},
                      price_min=args.price_min, price_max=args.price_max)
    started = time.perf_counter()
    hits = retriever.search(args.query, filters, top_k=args.top_k)
    elapsed = (time.perf_counter() - started) * 1000
    for rank, hit in enumerate(hits, 1):
        p = hit.product
        price = f"{p.price:.2f} {p.currency}" if p.price is not None else "-"
        print(f"{rank:2d}. [{p.id}] {p.title} | {price} | {hit.score:.3f} | {', '.join(hit.reasons)}")
    print(f"{len(hits)} hits in {elapsed:.1f} ms")


def _stats(settings: object, selected: str) -> None:
    """Every catalog in the store with its size and index; the one ``search`` would use is marked."""
    import json

    from sqlalchemy import inspect

    from retrieval.store import catalog_fingerprint, catalog_names, make_engine, session_scope

    engine = make_engine(settings.resolved_database_url)  # type: ignore[attr-defined]
    names: list[str] = []
    if inspect(engine).has_table("products"):
        with session_scope(engine) as session:
            names = catalog_names(session)
            counts = {name: catalog_fingerprint(session, catalog=name)[1] for name in names}
    print(f"{len(names)} catalog(s) in {engine.url.render_as_string(hide_password=True)}:")
    for name in names:
        manifest = settings.resolved_index_dir / name / "manifest.json"  # type: ignore[attr-defined]
        index = json.loads(manifest.read_text()) if manifest.is_file() else None
        state = f"index {index['kind']} with {index['count']} vectors" if index else "no index"
        mark = "  <- selected" if name == selected else ""
        print(f"  {name}: {counts[name]} products, {state}{mark}")
    if selected not in names:
        print(f"Catalog {selected!r} has no products; run `python -m retrieval ingest --catalog FILE --mapping MAPPING`.")


if __name__ == "__main__":
    sys.exit(main())
