"""Fast checks of production mode's pieces that need no running server."""

from __future__ import annotations

import json
import logging
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shop.logging_setup import JsonFormatter
from shop.ops.nginx import Nginx, actions_down_reply
from shop.ops.prod import SECRET_KEYS, load_secrets
from shop.ops.redis_server import render


def test_json_log_lines_carry_service_level_extras_and_exceptions() -> None:
    formatter = JsonFormatter("actions")
    record = logging.LogRecord("actions.search", logging.WARNING, __file__, 1, "slow search %d ms", (812,), None)
    record.conversation = "abc"
    entry = json.loads(formatter.format(record))
    assert entry["service"] == "actions" and entry["level"] == "warning" and entry["logger"] == "actions.search"
    assert entry["message"] == "slow search 812 ms" and entry["conversation"] == "abc"
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(formatter.format(failed))["exception"]


def test_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "prod" / "secrets.env"
    first = load_secrets(path)
    assert set(SECRET_KEYS) <= set(first) and all(len(first[key]) >= 24 for key in SECRET_KEYS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secrets(path) == first, "a second run must keep the passwords"


def test_template_placeholders_must_all_be_filled(tmp_path: Path) -> None:
    template = tmp_path / "t.conf"
    template.write_text("port {{port}}\npass {{password}}\n")
    assert render(template, {"port": 1, "password": "x"}) == "port 1\npass x\n"
    with pytest.raises(ValueError, match="password"):
        render(template, {"port": 1})


def test_action_fallback_is_a_valid_action_server_reply() -> None:
    from shop.messages import TROUBLE_MESSAGE

    reply = json.loads(actions_down_reply())
    assert reply == {"events": [], "responses": [{"text": TROUBLE_MESSAGE}]}


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx not installed")
def test_rendered_nginx_config_is_accepted_by_nginx(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path, tmp_path / "logs", 6490, 6491, [5491, 5492], [5493, 5494], web_ports=[5495, 5496], rasa_port=6492)
    (tmp_path / "logs").mkdir()
    nginx.config_path.write_text(nginx.render())
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(nginx.config_path), "-e", str(tmp_path / "logs" / "e.log")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = nginx.config_path.read_text()
    assert "least_conn" in text and "hash $" not in text and "@actions_down" in text
    # The public server proxies to the web apps only; Rasa and the action workers sit behind loopback listeners.
    public = text.split("listen 127.0.0.1:6490;", 1)[1].split("    server {", 1)[0]
    assert "proxy_pass http://web;" in public and "http://rasa" not in public and "http://actions" not in public
    assert "server 127.0.0.1:5495" in text and "server 127.0.0.1:5496" in text and "listen 127.0.0.1:6492;" in text


def test_lost_turns_counts_answered_turns_missing_from_the_store() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.load_benchmark import lost_turns

    answered = {"a": ["hi", "show more", "show more"], "b": ["bye"]}
    assert lost_turns(answered, {"a": ["hi", "show more", "show more"], "b": ["bye"]}) == 0
    assert lost_turns(answered, {"a": ["hi", "show more"]}) == 2


def test_no_command_line_carries_rasas_token(tmp_path: Path) -> None:
    """``ps`` shows command lines to everyone: the token goes in the environment (bot.serve reads it)."""
    from shop.ops.stack import RASA_PYTHON, base_env, rasa_run_command
    from shop.settings import Settings

    settings = Settings(var_dir=tmp_path, rasa_token="-a-secret-token")
    command = rasa_run_command(Path("model.tar.gz"), 5005, Path("endpoints.yml"), Path("credentials.yml"), cors=["http://127.0.0.1:8000"])
    assert command[:4] == [str(RASA_PYTHON), "-m", "bot.serve", "run"]
    assert not any("token" in part or "-a-secret-token" in part for part in command)
    assert command[command.index("--cors") + 1:] == ["http://127.0.0.1:8000"]
    assert base_env(settings)["SHOP_RASA_TOKEN"] == "-a-secret-token"


def test_services_stop_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """web -> nginx -> Rasa -> actions -> Redis -> PostgreSQL, each with the grace period."""
    from shop.ops.prod import ProdStack
    from shop.settings import Settings

    stack = ProdStack(settings=Settings(var_dir=tmp_path, prod_stop_grace=3.5), model=tmp_path / "model.tar.gz")
    stopped: list[tuple[str, float]] = []

    class FakeServer:
        def __init__(self, key: str) -> None:
            self.key = key

        def stop(self, timeout: float) -> None:
            stopped.append((self.key, timeout))

    for key in ("actions-1", "actions-2", "rasa-1", "rasa-2", "web-1", "web-2"):
        stack.servers[key] = FakeServer(key)  # type: ignore[assignment]
    monkeypatch.setattr(stack.nginx, "stop", lambda timeout: stopped.append(("nginx", timeout)))
    monkeypatch.setattr(stack.redis, "stop", lambda timeout: stopped.append(("redis", timeout)))
    monkeypatch.setattr(stack.pg, "stop", lambda timeout: stopped.append(("postgresql", timeout)))
    stack.pg_started = True
    stack.stop()
    assert [key for key, _ in stopped] == ["web-1", "web-2", "nginx", "rasa-1", "rasa-2", "actions-1", "actions-2", "redis", "postgresql"]
    assert {timeout for _, timeout in stopped} == {3.5}


def test_a_held_port_names_its_process_and_how_to_stop_it(tmp_path: Path) -> None:
    import os
    import socket

    from shop.ops.ports import held_message, listeners

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert [h.pid for h in listeners(port)] == [os.getpid()]
        message = held_message(port, "Rasa replica 1")
        assert f"pid {os.getpid()}" in message and f"kill {os.getpid()}" in message and "Rasa replica 1" in message


def test_a_leftover_postgresql_is_named_and_a_stale_pid_file_removed(tmp_path: Path) -> None:
    from shop.ops.postgres import PostgresCluster, PostgresError

    cluster = PostgresCluster(tmp_path / "pg", 1, "pw")
    cluster.data_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    cluster.pid_file.write_text(f"{dead.pid}\n{cluster.data_dir}\n")
    assert "stale" in (cluster.check_not_running() or "") and not cluster.pid_file.exists()
    leftover = subprocess.Popen(["bash", "-c", "exec -a postgres-of-an-earlier-run sleep 30"])
    while b"postgres-of" not in Path(f"/proc/{leftover.pid}/cmdline").read_bytes():  # until its exec is done
        time.sleep(0.01)
    try:
        cluster.pid_file.write_text(f"{leftover.pid}\n")
        with pytest.raises(PostgresError, match=f"(?s)pid {leftover.pid}.*pg_ctl -D {cluster.data_dir} -m fast stop"):
            cluster.check_not_running()
        assert cluster.pid_file.exists()
    finally:
        leftover.kill()
        leftover.wait()


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx not installed")
def test_nginx_resends_a_turn_only_when_it_carries_its_message_id(tmp_path: Path) -> None:
    """A replica that dies mid-turn: a keyed turn goes to the other replica, an unkeyed one is not re-sent."""
    import threading
    from collections import Counter
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    from shop.ops.stack import free_port

    hits: Counter[str] = Counter()

    def replica(name: str, dies: bool) -> type[BaseHTTPRequestHandler]:
        class Replica(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hits[self.headers.get("X-Test-Request", "")] += 1
                if dies:  # read the turn, then vanish without an answer (SIGKILL mid-turn)
                    self.close_connection = True
                    return
                body = json.dumps([{"text": f"answered by {name}"}]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Replica

    ports = [free_port(), free_port()]
    servers = [ThreadingHTTPServer(("127.0.0.1", ports[0]), replica("dying", True)),
               ThreadingHTTPServer(("127.0.0.1", ports[1]), replica("healthy", False))]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    nginx = Nginx(tmp_path, tmp_path / "logs", free_port(), free_port(), ports, [free_port()], rasa_port=free_port())
    nginx.start()
    url = f"http://127.0.0.1:{nginx.rasa_balancer_port}/webhooks/rest/webhook"
    try:
        for n in range(6):
            keyed = httpx.post(url, json={"message": "hi"}, headers={"Idempotency-Key": f"k{n}", "X-Test-Request": f"k{n}"}, timeout=10)
            assert keyed.status_code == 200 and keyed.json() == [{"text": "answered by healthy"}]
            unkeyed = httpx.post(url, json={"message": "hi"}, headers={"X-Test-Request": f"u{n}"}, timeout=10)
            assert unkeyed.status_code in (200, 502)
        assert all(hits[f"u{n}"] == 1 for n in range(6)), hits  # never sent twice
        assert any(hits[f"k{n}"] == 2 for n in range(6)), hits  # re-sent after the dying replica took it
    finally:
        nginx.stop()
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(), reason="nginx not installed")
def test_a_restarted_action_worker_serves_the_very_next_call(tmp_path: Path) -> None:
    """After every worker failed, nginx must not keep answering "unreachable" once one is back."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    from shop.messages import TROUBLE_MESSAGE
    from shop.ops.stack import free_port

    class Worker(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = json.dumps({"events": [], "responses": [{"text": "worker answered"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    worker_ports = [free_port(), free_port()]
    nginx = Nginx(tmp_path, tmp_path / "logs", free_port(), free_port(), [free_port()], worker_ports, rasa_port=free_port())
    nginx.start()
    url = f"http://127.0.0.1:{nginx.actions_port}/webhook"
    try:
        down = httpx.post(url, json={"next_action": "action_show_more"}, timeout=5)
        assert down.json()["responses"][0]["text"] == TROUBLE_MESSAGE  # no worker at all: told clearly
        server = ThreadingHTTPServer(("127.0.0.1", worker_ports[1]), Worker)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            back = httpx.post(url, json={"next_action": "action_show_more"}, timeout=5)  # well within any fail_timeout
            assert back.json()["responses"][0]["text"] == "worker answered", back.text
        finally:
            server.shutdown()
            server.server_close()
    finally:
        nginx.stop()


def test_a_port_configured_twice_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from shop.ops.prod import ProdStack
    from shop.ops.stack import StackError
    from shop.settings import Settings

    stack = ProdStack(settings=Settings(var_dir=tmp_path, prod_port=6440, prod_pg_port=6442), model=tmp_path / "model.tar.gz")
    with pytest.raises(StackError, match="port 6442 is configured for both PostgreSQL and nginx, Rasa balancer"):
        stack.check_free()
