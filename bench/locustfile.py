"""Locust users for bench/load.py: the campaign dashboard and the rollup API, and two baselines.

Run by bench/load.py, which seeds the database, serves the app with gunicorn on loopback and
writes the credentials this file reads (path in FOITRACK_LOAD_CONFIG): a JSON object with the
campaign slug, a period to filter on and one {"session", "token"} per staff user.

Every simulated user signs in as its own staff user (a reader of the campaign), so no per-user
API throttle is shared. The dashboard is fetched with the session cookie set as a header:
production settings mark the cookie Secure, which a cookie jar would not send over plain http
on loopback.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import HttpUser, between, task

CONFIG = json.loads(Path(os.environ["FOITRACK_LOAD_CONFIG"]).read_text(encoding="utf-8"))
SLUG = CONFIG["campaign"]
PERIOD = CONFIG["period"]
SESSION_COOKIE = CONFIG.get("session_cookie_name", "sessionid")
THINK = CONFIG.get("think_seconds", [0.5, 1.5])
_logins = itertools.cycle(CONFIG["users"])

# Names as they appear in the results table (bench/load.py reads them back).
DASHBOARD = "dashboard"
ROLLUP = "rollup API"
ROLLUP_PERIOD = f"rollup API ?period={PERIOD}"
API_ROOT = "baseline: API root"
ADMIN_LOGIN = "baseline: admin login page"


class Researcher(HttpUser):
    wait_time = between(*THINK)

    def on_start(self) -> None:
        login = next(_logins)
        self.cookie = {"Cookie": f"{SESSION_COOKIE}={login['session']}"}
        self.token = {"Authorization": f"Token {login['token']}", "Accept": "application/json"}

    def _get(self, path: str, name: str, headers: dict, expect: bytes) -> None:
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif expect not in response.content:
                response.failure(f"200 without {expect.decode()!r}")

    @task
    def dashboard(self) -> None:
        self._get(f"/admin/dashboard/{SLUG}/", DASHBOARD, self.cookie, b'id="headline"')

    @task
    def rollup(self) -> None:
        self._get(f"/api/rollups/{SLUG}/", ROLLUP, self.token, b'"headline"')

    @task
    def rollup_period(self) -> None:
        self._get(f"/api/rollups/{SLUG}/?period={PERIOD}", ROLLUP_PERIOD, self.token, b'"headline"')

    @task
    def api_root(self) -> None:
        self._get("/api/", API_ROOT, self.token, b'"forces"')

    @task
    def admin_login(self) -> None:
        self._get("/admin/login/", ADMIN_LOGIN, {}, b'name="password"')
