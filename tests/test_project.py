"""The project's wiring: production settings, the compose file, the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="a-production-secret-key-with-plenty-of-entropy-9f8e7d6c5b4a3210",
        ALLOWED_HOSTS="foitrack.example.org",
        SECURE_SSL_REDIRECT="true",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_serve_in_production_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    result = subprocess.run(
        [sys.executable, "-c", "import foitrack.wsgi"],
        cwd=ROOT,
        env={**env, "DEBUG": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_flags_the_development_key():
    result = run_manage("check", "--deploy", DEBUG="false", ALLOWED_HOSTS="x.example.org")
    assert "security.W009" in result.stderr + result.stdout


def test_management_commands_run_without_a_secret_key():
    result = run_manage("check", DEBUG="false")
    assert result.returncode == 0, result.stderr


def test_an_unreadable_boolean_setting_is_a_clear_error():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_without_a_database_url_the_default_is_a_sqlite_file_in_the_project(monkeypatch):
    code = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "foitrack.settings", "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == str(ROOT / "db.sqlite3"), result.stderr


def test_without_a_broker_tasks_run_eagerly_and_with_one_they_do_not():
    code = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)"
    base = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    base |= {"DJANGO_SETTINGS_MODULE": "foitrack.settings", "DEBUG": "true"}

    def eager(**extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            cwd=ROOT,
            env={**base, **extra},
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()

    assert eager() == "True"
    assert eager(REDIS_URL="redis://127.0.0.1:6379/0") == "False"
    assert eager(CELERY_BROKER_URL="redis://127.0.0.1:6379/1") == "False"


def test_the_compose_file_wires_web_worker_beat_postgres_and_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert "gunicorn foitrack.wsgi" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A foitrack worker")
    assert services["beat"]["command"].startswith("celery -A foitrack beat")
    assert int(services["db"]["image"].split(":")[1]) >= 15
    assert services["redis"]["image"] == "redis:7"
    assert "--appendonly yes" in services["redis"]["command"]
    assert "--maxmemory-policy noeviction" in services["redis"]["command"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:6379")
        assert env["DEBUG"] == "false"
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"]
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])
    assert "redisdata:/data" in services["redis"]["volumes"]
