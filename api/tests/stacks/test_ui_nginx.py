"""The control-ui image's nginx, offline: its header snippets are generated from the API's
webui/ui_headers.toml (one source), its entry point renders only safe values into the
configuration, and the configuration proxies what the UI calls and streams the event stream.
What the built image really sends is tests/swarm/test_ui_image.py (and the Swarm smoke)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from cloudlysis_control.webui import static
from tests.support.stacks import REPO, STACKS

UI = STACKS / "ui"
TEMPLATE = UI / "nginx.conf.template"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ui_generate", UI / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


def test_the_committed_snippets_are_generated_from_the_apis_source() -> None:
    rendered = generate.render(generate.load())
    assert set(rendered) == {"security-headers.conf", "cache-control.conf"}
    for name, text in rendered.items():
        assert (UI / name).read_text() == text, (
            f"stacks/ui/{name} is stale: run `python3 stacks/ui/generate.py`"
        )
    done = subprocess.run(
        ["python3", str(UI / "generate.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_api_reads_the_same_source() -> None:
    source = tomllib.loads((REPO / "api/src/cloudlysis_control/webui/ui_headers.toml").read_text())
    assert generate.SOURCE == REPO / "api/src/cloudlysis_control/webui/ui_headers.toml"
    assert source["headers"] == static.UI_HEADERS
    assert source["cache-control"]["assets"] == static.CACHE_CONTROL_ASSETS
    assert source["cache-control"]["other"] == static.CACHE_CONTROL_OTHER
    snippet = (UI / "security-headers.conf").read_text()
    for name, value in static.UI_HEADERS.items():
        assert f'add_header {name} "{value}" always;\n' in snippet, name
    assert f"/{static.ASSETS_DIR}/" == generate.ASSETS_PREFIX


@pytest.mark.parametrize(
    "value",
    ['default-src "self"', "a $var", "a\\b", "line\nbreak"],
)
def test_the_generator_refuses_a_value_nginx_would_read_otherwise(value: str) -> None:
    source = generate.load()
    source["headers"]["x-frame-options"] = value
    with pytest.raises(ValueError, match="nginx string"):
        generate.render(source)


def test_the_generator_refuses_a_header_name_that_is_not_one() -> None:
    source = generate.load()
    source["headers"]["x frame; evil"] = "x"
    with pytest.raises(ValueError, match="header name"):
        generate.render(source)


# ---------------------------------------------------------------- the entry point


def render(
    tmp_path: Path, env: dict[str, str], resolv: str = "nameserver 127.0.0.11\n"
) -> subprocess.CompletedProcess[str]:
    """Run stacks/ui/control-ui.sh with a stand-in nginx that prints its arguments."""
    fake = tmp_path / "nginx"
    fake.write_text('#!/bin/sh\necho "nginx $*"\n')
    fake.chmod(0o755)
    (tmp_path / "resolv.conf").write_text(resolv)
    base = {
        "PATH": os.environ["PATH"],
        "NGINX": str(fake),
        "UI_CONF_DIR": str(UI),
        "UI_RUN_DIR": str(tmp_path / "run"),
        "UI_RESOLV_CONF": str(tmp_path / "resolv.conf"),
    }
    return subprocess.run(
        ["sh", str(UI / "control-ui.sh"), "-t"],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=10,
    )


def test_the_entry_point_renders_the_environment_and_execs_nginx(tmp_path: Path) -> None:
    done = render(
        tmp_path,
        {"UI_PORT": "9000", "UI_API_URL": "http://api.internal:8081/"},
        "# docker\nnameserver 127.0.0.11\nnameserver fd00::1\nnameserver fe80::1%eth0\n",
    )
    assert done.returncode == 0, done.stderr
    conf_path = tmp_path / "run" / "nginx.conf"
    assert done.stdout.split() == ["nginx", "-e", "stderr", "-c", str(conf_path), "-t"]
    conf = conf_path.read_text()
    assert "@UI_" not in conf
    assert "listen 9000;" in conf
    assert "set $api http://api.internal:8081;" in conf  # the trailing / dropped
    assert "resolver 127.0.0.11 [fd00::1] valid=10s ipv6=off;" in conf
    assert f"pid {tmp_path}/run/nginx.pid;" in conf
    for path in re.findall(r"_temp_path (\S+);", conf):
        assert path.startswith(f"{tmp_path}/run/"), path


def test_the_defaults_are_the_stacks(tmp_path: Path) -> None:
    done = render(tmp_path, {})
    assert done.returncode == 0, done.stderr
    conf = (tmp_path / "run" / "nginx.conf").read_text()
    assert "listen 8080;" in conf and "set $api http://api:8080;" in conf


def test_no_nameserver_means_no_resolver_line(tmp_path: Path) -> None:
    done = render(tmp_path, {"UI_API_URL": "http://10.0.0.5:8080"}, resolv="search x\n")
    assert done.returncode == 0, done.stderr
    conf = (tmp_path / "run" / "nginx.conf").read_text()
    assert not re.search(r"^\s*resolver ", conf, re.M)


def test_an_explicit_resolver_wins(tmp_path: Path) -> None:
    done = render(tmp_path, {"UI_RESOLVER": "10.0.0.2  10.0.0.3"})
    assert done.returncode == 0, done.stderr
    conf = (tmp_path / "run" / "nginx.conf").read_text()
    assert "resolver 10.0.0.2 10.0.0.3 valid=10s ipv6=off;" in conf


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"UI_API_URL": "api:8080"}, "UI_API_URL"),
        ({"UI_API_URL": "ftp://api:8080"}, "UI_API_URL"),
        ({"UI_API_URL": "http://api:8080/admin"}, "without a path"),
        ({"UI_API_URL": "http://api:8080; return 200 x"}, "UI_API_URL"),
        ({"UI_API_URL": "http://api|x"}, "UI_API_URL"),
        ({"UI_API_URL": "http://"}, "UI_API_URL"),
        ({"UI_PORT": "80; x"}, "UI_PORT"),
        ({"UI_PORT": "0"}, "UI_PORT"),
        ({"UI_PORT": "70000"}, "UI_PORT"),
        ({"UI_RESOLVER": "1.1.1.1; x"}, "UI_RESOLVER"),
        ({"UI_RUN_DIR": "tmp"}, "UI_RUN_DIR"),
        ({"UI_RUN_DIR": "/tmp/a b"}, "UI_RUN_DIR"),
    ],
)
def test_the_entry_point_refuses_what_a_configuration_must_not_hold(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    done = render(tmp_path, env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert message in done.stderr
    assert "nginx" not in done.stdout  # never started


# ---------------------------------------------------------------- the configuration


def _location(conf: str, match: str) -> str:
    """The body of `location <match> { ... }` (no nested blocks in the ones read here)."""
    found = re.search(r"location " + re.escape(match) + r" \{(.*?)\n        \}", conf, re.S)
    assert found, f"no location {match}"
    return found.group(1)


def _directives(block: str) -> set[str]:
    lines = (line.split("#")[0].strip() for line in block.splitlines())
    return {" ".join(line.rstrip(";").split()) for line in lines if line}


def test_the_event_stream_is_proxied_unbuffered_and_uncompressed() -> None:
    events = _directives(_location(TEMPLATE.read_text(), "= /admin/v1/events"))
    assert {
        "proxy_pass $api",
        "proxy_buffering off",
        "proxy_cache off",
        "gzip off",
        "proxy_read_timeout 1h",
        "proxy_pass_header X-Accel-Buffering",
    } <= events


def test_what_the_ui_calls_is_proxied_and_the_rest_is_not() -> None:
    """The UI's dev server proxies the same prefixes (vite.config.ts) as the image's nginx."""
    conf = TEMPLATE.read_text()
    vite = (REPO / "ui" / "vite.config.ts").read_text()
    prefixes = set(re.findall(r'"(/[a-z]+)": apiTarget', vite))
    assert prefixes == {"/admin", "/health"}
    for match in ("/admin/", "= /admin", "= /health"):
        assert "proxy_pass $api" in _directives(_location(conf, match)), match
    assert re.search(r"location ~ \^/\(\?:schema\|ready\|metrics\)", conf)
    assert "server_tokens off;" in conf


def test_the_headers_go_where_the_ui_is_served() -> None:
    conf = TEMPLATE.read_text()
    include = "include /etc/cloudlysis-ui/security-headers.conf"
    for match in ("/", "/assets/", "@not_found"):
        assert include in _directives(_location(conf, match)), match
    for match in ("/", "/assets/"):
        assert "add_header Cache-Control $ui_cache_control" in _directives(_location(conf, match))
    assert "include /etc/cloudlysis-ui/cache-control.conf;" in conf
