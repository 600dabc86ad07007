from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from urllib.parse import urlparse

import pytest

from foitrack.celery import app as celery_app
from tests.mailservers import dovecot_server, imap_mailbox, smtp_server  # noqa: F401

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> None:
    """Skip on a machine without the service; in CI its absence is a failure, never a skip."""
    if service_reachable(url, default_port):
        return
    if IN_CI:
        pytest.fail(f"{name} at {url} is not reachable, and CI=true requires it")
    pytest.skip(f"{name} not reachable at {url}")


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """Ordinary tests run tasks eagerly; tests marked `worker` use the real broker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _test_settings(request, tmp_path):
    # Extraction tests may run with `-p no:django`; they need no settings.
    if request.config.pluginmanager.has_plugin("django"):
        settings = request.getfixturevalue("settings")
        settings.MEDIA_ROOT = tmp_path / "media"
        # Many users are made; the real hasher would spend most of the run on them.
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        # API throttle counts in a cache of this test's own: never a shared one (CACHE_URL),
        # which clearing would empty for everybody, nor counts left over from another test.
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
        }
        from django.core.cache import cache

        cache.clear()


@pytest.fixture
def on_commit_at_once(monkeypatch):
    """Each test runs inside a transaction that never commits; run commit hooks straight away.

    The real ordering (queue only after commit) is exercised by the worker tests.
    """
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())


@pytest.fixture
def researcher(db):
    # Imported here so the pure-Python extraction tests can run without Django set up.
    from django.contrib.auth.models import Group, User

    from requests_app.access import RESEARCHER_GROUP

    user = User.objects.create_user("rita", email="rita@example.org", password="pw-rita-12345")
    user.groups.add(Group.objects.get_or_create(name=RESEARCHER_GROUP)[0])
    return user


@pytest.fixture
def reader(db):
    from django.contrib.auth.models import User

    return User.objects.create_user("rob", email="rob@example.org", password="pw-rob-12345")


class RedisServer:
    """A private redis-server for one test, so a test may stop and restart its broker."""

    def __init__(self, directory) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = directory
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self.proc and self.proc.poll() is None:
            return
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--dir", str(self.dir), "--maxmemory-policy", "noeviction"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: service_reachable(self.url, self.port), timeout=10, interval=0.05)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One private broker for the session (the producer keeps its connections to one URL).

    Needs the redis-server binary; skips without it outside CI.
    """
    import shutil

    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("CI=true requires redis-server on the PATH")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def celery_worker_process(request, transactional_db, tmp_path, settings, redis_server):
    """A real Celery worker process over Redis, sharing the test database.

    Needs PostgreSQL (the worker is another process) and Redis; skips without them outside CI.
    `@pytest.mark.worker(env={...})` adds to the worker's environment.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("CI=true requires DATABASE_URL to name PostgreSQL")
        pytest.skip("a worker process shares the test database only on PostgreSQL")
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "foitrack.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "CELERY_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "SECURE_SSL_REDIRECT": "false",
        **request.node.get_closest_marker("worker").kwargs.get("env", {}),
    }
    env.setdefault("SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite")
    saved = {k: celery_app.conf[k] for k in ("broker_url", "task_default_queue")}
    use_broker(broker_url=redis_server.url, task_default_queue=queue)
    celery_app.conf.task_always_eager = False
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "foitrack", "worker", "-Q", queue,
             "--concurrency=1", "--without-gossip", "--without-mingle", "-l", "info"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    worker = WorkerHandle(
        proc=proc, log=log, queue=queue, mail_dir=tmp_path / "mail", redis=redis_server
    )
    worker.env = env
    try:
        worker.wait_for("ready.", timeout=60)
        yield worker
    finally:
        worker.stop()
        use_broker(**saved)


def use_broker(**conf) -> None:
    """Point the producer at another broker, dropping connections pooled for the last one.

    Celery pools connections per app; an earlier test may have opened them to another URL.
    Celery's own reset for a new process does exactly this.
    """
    celery_app.conf.update(conf)
    celery_app._after_fork()


class WorkerHandle:
    def __init__(self, *, proc, log, queue, mail_dir, redis: RedisServer) -> None:
        self.proc, self.log, self.queue, self.mail_dir = proc, log, queue, mail_dir
        self.redis = redis
        self.env: dict[str, str] = {}

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float) -> None:

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.output()}")
            time.sleep(0.2)
        raise AssertionError(f"worker never logged {text!r}:\n{self.output()}")

    def start_again(self, timeout: float = 60) -> None:
        """After ``stop()``: a fresh worker process on the same queue, broker and database.

        Its output is appended to the same log; the fixture's teardown stops it.
        """
        assert self.proc.poll() is not None, "stop() the running worker first"
        seen = self.output().count("ready.")
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                self.proc.args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while self.output().count("ready.") <= seen:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the new worker never became ready:\n{self.output()}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wait_until(predicate, timeout: float = 30, interval: float = 0.2):
    """Poll until predicate() is truthy; return its value or fail with a timeout."""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
