"""CONTROL_* settings: every invalid value stops start-up with an error naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudlysis_control.core.errors import SettingsError
from cloudlysis_control.core.settings import Settings


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "hs256.secret"
    path.write_bytes(b"s" * 48)
    return path


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.server.port == 8080 and s.server.host == "127.0.0.1"
    assert s.nats.url is None
    assert s.observability.log_level == "info" and s.observability.trace_sample_ratio == 1.0


def test_valid_values_are_typed(tmp_path: Path, key_file: Path) -> None:
    fleet = tmp_path / "fleet.json"
    fleet.write_text("[]")
    s = Settings.from_env(
        {
            "CONTROL_PORT": " 9000 ",
            "CONTROL_NATS_URL": "nats://127.0.0.1:4222/",
            "CONTROL_NATS_REPLICAS": "3",
            "CONTROL_DEV_LOGIN": "YES",
            "CONTROL_GATEWAY_URL": "https://gw.example:8443/",
            "CONTROL_TOKEN_HS256_SECRET_FILE": str(key_file),
            "CONTROL_TRACE_SAMPLE_RATIO": "0.25",
            "CONTROL_FLEET_FILE": str(fleet),
            "CONTROL_LOG_LEVEL": "debug",
            "CONTROL_JOB_WORKERS": "",  # blank means unset
        }
    )
    assert s.server.port == 9000
    assert s.nats.url == "nats://127.0.0.1:4222" and s.nats.replicas == 3
    assert s.gateway.dev_login is True and s.gateway.url == "https://gw.example:8443"
    assert s.auth.hs256_secret_file == key_file
    assert s.observability.trace_sample_ratio == 0.25
    assert s.jobs.fleet_file == fleet and s.jobs.workers == 8
    # Sign-in: password on, SSO off, the browser reaches the Gateway where Control does.
    assert s.gateway.password_login is True and s.gateway.sso_client_id is None
    assert s.gateway.public_url == s.gateway.url and s.gateway.cookie_secure is True


def test_nats_url_takes_a_server_list_and_replicas_default_to_auto() -> None:
    s = Settings.from_env(
        {"CONTROL_NATS_URL": "nats://n1:4222, nats://n2:4222/ ,tls://u:p@n3:4222"}
    )
    assert s.nats.url == "nats://n1:4222,nats://n2:4222,tls://u:p@n3:4222"
    assert s.nats.replicas is None  # auto
    assert Settings.from_env({"CONTROL_NATS_REPLICAS": "AUTO"}).nats.replicas is None
    assert Settings.from_env({"CONTROL_NATS_REPLICAS": "5"}).nats.replicas == 5


def test_a_bad_entry_of_the_nats_server_list_is_named() -> None:
    with pytest.raises(SettingsError, match=r"CONTROL_NATS_URL is invalid: entry 2 \('n2:4222'\)"):
        Settings.from_env({"CONTROL_NATS_URL": "nats://n1:4222,n2:4222"})


@pytest.mark.parametrize(
    ("var", "value"),
    [
        # bad ints / numbers
        ("CONTROL_PORT", "eighty"),
        ("CONTROL_PORT", "80.5"),
        ("CONTROL_JOB_WORKERS", "many"),
        ("CONTROL_NATS_REPLICAS", "1e3"),
        ("CONTROL_TOKEN_LEEWAY_S", "thirty"),
        ("CONTROL_TRACE_SAMPLE_RATIO", "half"),
        ("CONTROL_JOB_LEASE_S", "15s"),
        ("CONTROL_UPSTREAM_TIMEOUT_S", "nan?"),
        # out of range
        ("CONTROL_PORT", "65536"),
        ("CONTROL_PORT", "-1"),
        ("CONTROL_PORT", "99999"),
        ("CONTROL_NATS_REPLICAS", "0"),
        ("CONTROL_NATS_REPLICAS", "7"),
        ("CONTROL_TOKEN_LEEWAY_S", "31"),
        ("CONTROL_TRACE_SAMPLE_RATIO", "1.5"),
        ("CONTROL_TRACE_SAMPLE_RATIO", "-0.1"),
        ("CONTROL_JOB_WORKERS", "0"),
        ("CONTROL_JOB_LEASE_S", "0.5"),
        ("CONTROL_RIGHTS_CACHE_TTL_S", "301"),
        ("CONTROL_UPSTREAM_TIMEOUT_S", "0"),
        # bad bools / choices
        ("CONTROL_DEV_LOGIN", "maybe"),
        ("CONTROL_DEV_LOGIN", "2"),
        ("CONTROL_PASSWORD_LOGIN", "perhaps"),
        ("CONTROL_SESSION_COOKIE_SECURE", "sometimes"),
        ("CONTROL_LOG_LEVEL", "verbose"),
        ("CONTROL_LOG_FORMAT", "xml"),
        # bad URLs
        ("CONTROL_NATS_URL", "http://127.0.0.1:4222"),
        ("CONTROL_NATS_URL", "127.0.0.1:4222"),
        ("CONTROL_NATS_URL", "nats://a:4222,b:4222"),
        ("CONTROL_NATS_URL", "nats://a:4222,,nats://b:4222"),
        ("CONTROL_NATS_URL", "nats://a:4222,http://b:4222"),
        ("CONTROL_NATS_REPLICAS", "automatic"),
        ("CONTROL_GATEWAY_URL", "gateway:8701"),
        ("CONTROL_GATEWAY_URL", "ftp://gateway"),
        ("CONTROL_GATEWAY_URL", "http://"),
        ("CONTROL_JWKS_URL", "not a url"),
        ("CONTROL_GATEWAY_PUBLIC_URL", "gw.example"),
        ("CONTROL_OTLP_ENDPOINT", "tempo:4318"),
        ("CONTROL_GRAFANA_URL", "//grafana"),
        # missing files / dirs
        ("CONTROL_TOKEN_HS256_SECRET_FILE", "/nonexistent/secret"),
        ("CONTROL_TOKEN_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
        ("CONTROL_FLEET_FILE", "/nonexistent/fleet.json"),
        ("CONTROL_UI_DIR", "/nonexistent/ui"),
        # swarm and grafana
        ("CONTROL_SWARM_MODE", "swarm"),
        ("CONTROL_SWARM_FILE", "/nonexistent/swarm.json"),
        ("CONTROL_DOCKER_HOST", "/var/run/docker.sock"),
        ("CONTROL_DOCKER_HOST", "npipe:////./pipe/docker"),
        ("CONTROL_DOCKER_TIMEOUT_S", "0"),
        ("CONTROL_DEPLOY_HEALTH_TIMEOUT_S", "soon"),
        ("CONTROL_SWARM_DISCOVERY", "sometimes"),
        ("CONTROL_SWARM_CACHE", "sometimes"),
        ("CONTROL_SWARM_TASKS_INTERVAL_S", "0"),
        ("CONTROL_SWARM_RESYNC_INTERVAL_S", "0.5"),
        ("CONTROL_SWARM_STALE_AFTER_S", "never"),
        ("CONTROL_GRAFANA_API_URL", "grafana:3000"),
        ("CONTROL_GRAFANA_TOKEN_FILE", "/nonexistent/token"),
        ("CONTROL_GRAFANA_ANNOTATION_RETRIES", "-1"),
    ],
)
def test_invalid_value_names_the_variable(var: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({var: value})
    assert var in str(info.value), str(info.value)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="CONTROL_TOKEN_HS256_SECRET_FILE"):
        Settings.from_env({"CONTROL_TOKEN_HS256_SECRET_FILE": str(tmp_path)})


def test_two_key_sources_are_refused(tmp_path: Path, key_file: Path) -> None:
    pem = tmp_path / "key.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")
    combos = [
        {"CONTROL_TOKEN_HS256_SECRET_FILE": str(key_file), "CONTROL_JWKS_URL": "http://gw/jwks"},
        {
            "CONTROL_TOKEN_HS256_SECRET_FILE": str(key_file),
            "CONTROL_TOKEN_PUBLIC_KEY_FILE": str(pem),
        },
        {"CONTROL_TOKEN_PUBLIC_KEY_FILE": str(pem), "CONTROL_JWKS_URL": "https://gw/jwks"},
    ]
    for env in combos:
        with pytest.raises(SettingsError) as info:
            Settings.from_env(env)
        for var in env:
            assert var in str(info.value), (var, str(info.value))


def _serve_all(cases: list[dict[str, str]], tmp_path: Path) -> list[tuple[int, str]]:
    """Run `cloudlysis-control serve` once per env, all at once; return (exit code, stderr)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONTROL_")}

    def spawn(i: int, env: dict[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "cloudlysis_control", "serve"],
            env={
                **clean,
                "CONTROL_DATA_DIR": str(tmp_path / f"data{i}"),
                # never reach a real NATS: nothing may start before settings are checked
                "CONTROL_NATS_URL": "nats://127.0.0.1:1",
                "CONTROL_PORT": "0",
                **env,
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )

    out: list[tuple[int, str]] = []
    batch = 3  # a few at a time: each start-up costs ~2 s of CPU
    for start in range(0, len(cases), batch):
        procs = [spawn(start + i, env) for i, env in enumerate(cases[start : start + batch])]
        for proc in procs:
            try:
                _, err = proc.communicate(timeout=90)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.append((proc.returncode, err))
    return out


def test_serve_exits_non_zero_naming_the_variable(tmp_path: Path, key_file: Path) -> None:
    cases = [
        {"CONTROL_PORT": "not-a-port"},
        {"CONTROL_DEV_LOGIN": "perhaps"},
        {"CONTROL_NATS_URL": "http://127.0.0.1:4222"},
        {"CONTROL_TOKEN_HS256_SECRET_FILE": str(key_file), "CONTROL_JWKS_URL": "http://gw/jwks"},
    ]
    for env, (code, stderr) in zip(cases, _serve_all(cases, tmp_path), strict=True):
        assert code == 2, (env, code, stderr[-2000:])
        for var in env:
            if var != "CONTROL_NATS_URL" or "http://" in env[var]:
                assert var in stderr, (env, stderr[-2000:])
        assert "configuration error" in stderr, (env, stderr[-2000:])
        assert "Traceback" not in stderr, (env, stderr[-2000:])


def test_serve_runtime_settings_errors_are_reported_cleanly(tmp_path: Path, key_file: Path) -> None:
    """Settings that are only checked when the runtime starts (the key source, the fleet file's
    content) must fail like the others: exit 2, one line naming the variable, no traceback."""
    bad_fleet = tmp_path / "fleet.json"
    bad_fleet.write_text("{not json")
    cases = [
        ({}, "CONTROL_TOKEN_HS256_SECRET_FILE"),  # no key source at all
        (
            {
                "CONTROL_TOKEN_HS256_SECRET_FILE": str(key_file),
                "CONTROL_FLEET_FILE": str(bad_fleet),
            },
            "CONTROL_FLEET_FILE",
        ),
    ]
    results = _serve_all([env for env, _ in cases], tmp_path)
    for (env, var), (code, stderr) in zip(cases, results, strict=True):
        assert code != 0, (env, stderr[-2000:])
        assert var in stderr, (env, stderr[-2000:])
    for (env, _var), (code, stderr) in zip(cases, results, strict=True):
        assert code == 2 and "Traceback" not in stderr, (env, code, stderr[-3000:])


def test_swarm_settings(tmp_path: Path) -> None:
    s = Settings.from_env({})
    assert (s.swarm.mode, s.swarm.docker_host, s.swarm.discovery) == (
        "off",
        "unix:///var/run/docker.sock",
        True,
    )
    assert s.grafana.api_url is None
    fixture = tmp_path / "swarm.json"
    fixture.write_text("{}")
    s = Settings.from_env(
        {
            "CONTROL_SWARM_MODE": "file",
            "CONTROL_SWARM_FILE": str(fixture),
            "CONTROL_DOCKER_HOST": "tcp://10.0.0.1:2375",
            "CONTROL_GRAFANA_URL": "https://grafana.example.com",
        }
    )
    assert (s.swarm.mode, s.swarm.file, s.swarm.docker_host) == (
        "file",
        fixture,
        "tcp://10.0.0.1:2375",
    )
    assert s.grafana.api_url == "https://grafana.example.com"
    s = Settings.from_env(
        {"CONTROL_GRAFANA_URL": "https://g.example.com", "CONTROL_GRAFANA_API_URL": "http://g:3000"}
    )
    assert s.grafana.api_url == "http://g:3000"
    with pytest.raises(SettingsError, match="CONTROL_SWARM_FILE"):
        Settings.from_env({"CONTROL_SWARM_MODE": "file"})


def test_swarm_cache_settings() -> None:
    s = Settings.from_env({})
    assert (s.swarm.cache, s.swarm.tasks_interval_s, s.swarm.resync_interval_s) == (True, 2, 30)
    assert s.swarm.stale_after_s == 60
    s = Settings.from_env({"CONTROL_SWARM_CACHE": "false", "CONTROL_SWARM_TASKS_INTERVAL_S": "5"})
    assert (s.swarm.cache, s.swarm.tasks_interval_s) == (False, 5)
    with pytest.raises(SettingsError, match="CONTROL_SWARM_STALE_AFTER_S"):
        Settings.from_env(
            {"CONTROL_SWARM_TASKS_INTERVAL_S": "10", "CONTROL_SWARM_STALE_AFTER_S": "5"}
        )


def test_job_lease_timing_defaults_follow_the_lease_and_are_checked() -> None:
    """Issue 19, lease fencing: renew every lease/3, fence margin lease/5 by default; a renewal
    interval that does not fit before the fence is refused at start-up, naming the rule."""
    s = Settings.from_env({})
    assert (s.jobs.lease_s, s.jobs.renew_s, s.jobs.fence_margin_s) == (15.0, 5.0, 3.0)
    s = Settings.from_env({"CONTROL_JOB_LEASE_S": "30"})
    assert (s.jobs.renew_s, s.jobs.fence_margin_s) == (10.0, 6.0)
    with pytest.raises(SettingsError, match="CONTROL_JOB_RENEW_S=12 is invalid"):
        Settings.from_env({"CONTROL_JOB_RENEW_S": "12"})  # 15 - 3 = 12: not strictly less
    with pytest.raises(SettingsError, match="CONTROL_JOB_FENCE_MARGIN_S"):
        Settings.from_env({"CONTROL_JOB_FENCE_MARGIN_S": "11"})
