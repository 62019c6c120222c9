"""Fast checks of production mode's pieces that need no running server."""

from __future__ import annotations

import json
import logging
import shutil
import stat
import subprocess
import sys
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
    nginx = Nginx(tmp_path, tmp_path / "logs", 6490, 6491, [5491, 5492], [5493, 5494], web_port=5495)
    (tmp_path / "logs").mkdir()
    nginx.config_path.write_text(nginx.render())
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(nginx.config_path), "-e", str(tmp_path / "logs" / "e.log")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = nginx.config_path.read_text()
    assert "least_conn" in text and "hash $" not in text and "@actions_down" in text


def test_lost_turns_counts_answered_turns_missing_from_the_store() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from benchmarks.load_benchmark import lost_turns

    answered = {"a": ["hi", "show more", "show more"], "b": ["bye"]}
    assert lost_turns(answered, {"a": ["hi", "show more", "show more"], "b": ["bye"]}) == 0
    assert lost_turns(answered, {"a": ["hi", "show more"]}) == 2


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-123"])
def test_rasa_reads_the_auth_token_whatever_it_starts_with(token: str) -> None:
    """Rasa's own argument parser gets the exact token from the command the launchers build."""
    from shop.ops.stack import RASA_PYTHON, rasa_run_command

    command = rasa_run_command(Path("model.tar.gz"), 5005, Path("endpoints.yml"), Path("credentials.yml"), token)
    assert command[:3] == [str(RASA_PYTHON), "-m", "rasa"]
    parse = ("import json, sys; from rasa.__main__ import create_argument_parser; "
             "args = create_argument_parser().parse_args(json.loads(sys.argv[1])); print(args.auth_token)")
    result = subprocess.run([str(RASA_PYTHON), "-c", parse, json.dumps(command[3:])], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == token


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
    nginx = Nginx(tmp_path, tmp_path / "logs", free_port(), free_port(), [free_port()], worker_ports)
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
