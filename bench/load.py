"""Load: the campaign dashboard and the rollup API under 50 concurrent users, on loopback.

    .venv/bin/python bench/load.py            # print the results
    .venv/bin/python bench/load.py --write    # and update the Load section of BENCHMARKS.md

One run: create a PostgreSQL database (`foitrack_load`, dropped first), migrate, seed a campaign
as a researcher would have it (the 44 default target forces sent, most answered with a parsed
response file, some refused, not held, overdue or awaiting review), 50 staff readers each with a
session and an API token; measure single requests in process (queries, time, the rollup fresh and
stored); serve the app with gunicorn on 127.0.0.1 with production settings (DEBUG off, plain
http); run locust headless against the dashboard, the rollup API (whole and one period) and two
trivial baselines in the same run; then stop gunicorn and drop the database, even on failure.

PostgreSQL is reached as user postgres at 127.0.0.1:5432 (trust auth); override with --pg.
No broker is set, so parsing during the seed runs in-process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

import psutil
from benchmarks_md import write_section

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
SLUG = "load-online-child-sexual-offences"
PERIODS = ["2015-16", "2016-17", "2017-18", "2018-19"]
FILTER_PERIOD = "2018-19"
CORES = os.cpu_count() or 2

# The campaign's shape: who did not answer with figures, and how.
REFUSED = {"metropolitan": ["s12"], "surrey": ["s12", "s40"]}
NOT_HELD = ["city-of-london"]
NO_REPLY = ["essex", "sussex"]  # overdue by the time of the run
NEEDS_REVIEW = "south-wales"  # its offence table has a label no vocabulary knows
RESUBMITTED = 4  # forces that later sent corrected figures: a newer document supersedes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument(
        "--workers", type=int, default=2 * CORES + 1, help="gunicorn sync workers (2 x cores + 1)"
    )
    parser.add_argument(
        "--think", type=float, nargs=2, default=[0.5, 1.5], metavar=("MIN", "MAX"),
        help="seconds each user waits between requests",
    )  # fmt: skip
    parser.add_argument(
        "--quiet-wait", type=float, default=120,
        help="seconds to wait for other work on the machine to calm down before the load",
    )  # fmt: skip
    parser.add_argument("--db", default="foitrack_load", help="database to create and drop")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    return parser.parse_args()


# Setup and teardown.


def admin_sql(pg: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(args: argparse.Namespace, media: Path) -> dict[str, str]:
    """Production settings for plain http on loopback; no broker, so tasks run in-process."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="foitrack.settings",
        DATABASE_URL=f"{args.pg}/{args.db}",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS="http://127.0.0.1",
        SECURE_SSL_REDIRECT="false",  # no TLS on loopback; cookies stay Secure (see locustfile)
        SECURE_HSTS_SECONDS="0",
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
    )
    return env


def seed(users: int) -> dict:
    """The campaign, its responses (parsed in-process) and the staff readers; returns logins."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from aggregation import demo
    from aggregation.models import Observation
    from aggregation.services import document_upload
    from requests_app import services
    from requests_app.access import RESEARCHER_GROUP, Role
    from requests_app.demo import DEMO_TEXT
    from requests_app.models import Campaign, Document, Force

    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate()
    sent_on = today - dt.timedelta(days=70)
    owner = User.objects.create_user("owner", "owner@example.org", secrets.token_urlsafe(16))
    Group.objects.get(name=RESEARCHER_GROUP).user_set.add(owner)
    forces = list(Force.objects.default_targets().order_by("name"))
    answered = [
        f
        for f in forces
        if f.slug not in {*REFUSED, *NOT_HELD, *NO_REPLY}  # NEEDS_REVIEW answered, unreadable
    ]
    with transaction.atomic():
        campaign = Campaign.objects.create(
            title="Online child sexual offences (load)",
            slug=SLUG,
            owner=owner,
            request_text=DEMO_TEXT,
            periods=PERIODS,
        )
        campaign.target_forces.set(forces)
        services.campaign_record_sent(campaign=campaign, by=owner, on=sent_on)
        requests = {r.force.slug: r for r in campaign.requests.select_related("force")}
        for slug, codes in REFUSED.items():
            services.foi_request_refuse(
                request=requests[slug], by=owner, exemptions=codes, on=sent_on + dt.timedelta(19)
            )
        for slug in NOT_HELD:
            services.foi_request_not_held(
                request=requests[slug], by=owner, on=sent_on + dt.timedelta(9)
            )
        for i, force in enumerate(answered):
            services.foi_request_receive_response(
                request=requests[force.slug], by=owner, on=sent_on + dt.timedelta(14 + i % 20)
            )
        services.mark_overdue(today=today)

    # Uploads outside the transaction: each parse runs in-process as its upload commits.
    for i, force in enumerate(answered):
        request = requests[force.slug]
        if force.slug == NEEDS_REVIEW:
            content = demo.offences_long_csv(force.slug, PERIODS, odd_label="Breach of SHPO")
            document_upload(request=request, name="offences.csv", content=content, by=owner)
        elif i % 3 == 2:
            content = demo.offences_long_csv(force.slug, PERIODS)
            document_upload(request=request, name="offences.csv", content=content, by=owner)
        else:
            content = demo.ages_by_year_xlsx(force.name, demo.figures(force.slug, PERIODS))
            document_upload(request=request, name="response.xlsx", content=content, by=owner)
    for force in [f for i, f in enumerate(answered) if i % 3 == 0][:RESUBMITTED]:
        figures = demo.figures(f"{force.slug}-corrected", PERIODS)
        content = demo.ages_by_year_xlsx(force.name, figures)
        document_upload(
            request=requests[force.slug], name="response-corrected.xlsx", content=content, by=owner
        )

    reader = Group.objects.get(name="reader")
    logins = []
    for n in range(users):
        user = User.objects.create_user(f"reader{n:02d}", password=secrets.token_urlsafe(16))
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(reader)
        services.campaign_member_set(campaign=campaign, user=user, role=Role.READER, by=owner)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        token = Token.objects.create(user=user)
        logins.append({"session": session.session_key, "token": token.key})

    docs = Document.objects.filter(request__campaign=campaign)
    return {
        "campaign": SLUG,
        "period": FILTER_PERIOD,
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "users": logins,
        "data": {
            "forces": len(forces),
            "documents": docs.count(),
            "by_status": dict(
                sorted(
                    (s, docs.filter(status=s).count())
                    for s in docs.values_list("status", flat=True).distinct()
                )
            ),
            "observations": Observation.objects.filter(document__in=docs).count(),
        },
    }


# Single requests in process: where the time goes.


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def profile(logins: dict, runs: int = 15) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from aggregation.models import CampaignRollup
    from aggregation.rollups import campaign_rollup, compute, stored_figures
    from requests_app.models import Campaign

    campaign = Campaign.objects.get(slug=SLUG)
    login = logins["users"][0]
    session = Client(HTTP_HOST="127.0.0.1")
    session.cookies[logins["session_cookie_name"]] = login["session"]
    token = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {login['token']}")
    anonymous = Client(HTTP_HOST="127.0.0.1")
    pages = {
        "dashboard": (session, f"/admin/dashboard/{SLUG}/"),
        "rollup API": (token, f"/api/rollups/{SLUG}/"),
        f"rollup API ?period={FILTER_PERIOD}": (
            token,
            f"/api/rollups/{SLUG}/?period={FILTER_PERIOD}",
        ),
        "baseline: API root": (token, "/api/"),
        "baseline: admin login page": (anonymous, "/admin/login/"),
    }
    requests = {}
    for name, (client, url) in pages.items():
        CampaignRollup.objects.filter(campaign=campaign).delete()
        with CaptureQueriesContext(connection) as cold:
            first = client.get(url)
        assert first.status_code == 200, (name, first.status_code)
        with CaptureQueriesContext(connection) as warm:
            client.get(url)
        requests[name] = {
            "queries": len(warm.captured_queries),
            "queries_cold": len(cold.captured_queries),
            "ms": _median_ms(lambda c=client, u=url: c.get(u), runs),
            "bytes": len(first.content),
        }
    stored_figures(campaign)
    rollup = {
        "compute (fresh, from observations)": _median_ms(lambda: compute(campaign), runs),
        "stored_figures (stored, fingerprint check)": _median_ms(
            lambda: stored_figures(campaign), runs
        ),
        "campaign_rollup (stored + coverage, headline)": _median_ms(
            lambda: campaign_rollup(campaign), runs
        ),
    }
    connection.close()
    return {"requests": requests, "rollup": rollup}


# Serving and load.


def start_gunicorn(env: dict, port: int, workers: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "foitrack.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "60",
        "--error-logfile", str(log), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        with (
            suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as r,
        ):
            if r.status == 200:
                return server
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{tail(log)}")


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM the process (gunicorn stops its workers), then kill its own session if needed."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the session start_new_session made for it
        process.wait(timeout=10)


def tail(path: Path, lines: int = 30) -> str:
    with suppress(OSError):
        return "".join(path.read_text(errors="replace").splitlines(keepends=True)[-lines:])
    return ""


def check_endpoints(port: int, logins: dict) -> None:
    """One request to each endpoint before the load: a setup mistake fails here, loudly."""
    login = logins["users"][0]
    cookie = {"Cookie": f"{logins['session_cookie_name']}={login['session']}"}
    token = {"Authorization": f"Token {login['token']}"}
    for url, headers in (
        (f"/admin/dashboard/{SLUG}/", cookie),
        (f"/api/rollups/{SLUG}/?period={FILTER_PERIOD}", token),
        ("/api/", token),
    ):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{url}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status} before the load")


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for p in processes:
        with suppress(psutil.Error):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def other_cpu_seconds(exclude: set[int]) -> dict[int, float]:
    """CPU seconds so far of every process but ours and PostgreSQL's (which come and go)."""
    seconds = {}
    for p in psutil.process_iter(["name", "cpu_times"]):
        name, times = p.info["name"] or "", p.info["cpu_times"]
        if p.pid in exclude or name.startswith("postgres") or times is None:
            continue
        seconds[p.pid] = times.user + times.system
    return seconds


def wait_for_quiet(seconds: float) -> float:
    """Wait (up to `seconds`) until the machine is nearly idle; return its busy share then."""
    deadline = time.monotonic() + seconds
    while True:
        busy = psutil.cpu_percent(interval=3)
        if busy < 25 or time.monotonic() > deadline:
            return busy
        print(f"machine {busy:.0f}% busy with other work; waiting", file=sys.stderr)


def gunicorn_processes(server: subprocess.Popen) -> list[psutil.Process]:
    master = psutil.Process(server.pid)
    return [master, *master.children(recursive=True)]


def run_locust(args: argparse.Namespace, env: dict, port: int, config: Path, out: Path) -> dict:
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
        "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "locust"),
        "--reset-stats", "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10",
    ]  # fmt: skip
    locust_env = {**env, "FOITRACK_LOAD_CONFIG": str(config)}
    start = time.monotonic()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    psutil.cpu_percent()  # start the system-wide interval
    result = subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, text=True)
    system_cpu = psutil.cpu_percent()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    stats = out / "locust_stats.csv"
    if not stats.exists():
        raise RuntimeError(f"locust wrote no stats (exit {result.returncode}):\n{result.stderr}")
    rows = {}
    with stats.open(newline="") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
                "max": float(row["Max Response Time"]),
            }
    failures = []
    with suppress(OSError), (out / "locust_failures.csv").open(newline="") as f:
        failures = [f"{r['Name']}: {r['Error']} (x{r['Occurrences']})" for r in csv.DictReader(f)]
    return {
        "rows": rows,
        "failures": failures,
        "wall": time.monotonic() - start,
        "system_cpu_percent": system_cpu,
        "locust_cpu_seconds": locust_cpu,
        "exit": result.returncode,
    }


# The report.

BASELINE_FOR = {
    "dashboard": "baseline: admin login page",
    "rollup API": "baseline: API root",
    f"rollup API ?period={FILTER_PERIOD}": "baseline: API root",
}


def machine() -> str:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = psutil.virtual_memory().total / 2**30
    return f"{CORES} cores ({model or platform.machine()}), {memory:.0f} GB RAM"


def pg_version(pg: str) -> str:
    import psycopg

    with psycopg.connect(f"{pg}/postgres") as conn:
        return conn.execute("show server_version").fetchone()[0].split()[0]


def report(args, seeded: dict, prof: dict, load: dict, cpu: dict, pg: str) -> str:
    data = seeded["data"]
    rows = load["rows"]
    statuses = ", ".join(f"{n} {s}" for s, n in data["by_status"].items())
    lines = [
        f"{args.users} concurrent users (locust {locust_version()}, headless, spawn "
        f"{args.spawn_rate:g}/s, {args.duration} s, figures after ramp-up), each waiting "
        f"{args.think[0]:g}-{args.think[1]:g} s between requests and picking the five endpoints "
        f"evenly, against gunicorn ({args.workers} sync workers) on 127.0.0.1 with production "
        "settings (DEBUG off, plain http: SECURE_SSL_REDIRECT off), PostgreSQL "
        f"{pg}, all on one machine: {machine()}; locust and PostgreSQL share those cores. Seed: "
        f"{data['forces']} target forces sent, {data['documents']} documents ({statuses}), "
        f"{data['observations']:,} observations; {len(seeded['users'])} staff readers, each "
        f"with its own session and API token. Measured {dt.date.today().isoformat()} on Python "
        f"{platform.python_version()}. Rerun: `make bench-load` "
        "(`.venv/bin/python bench/load.py --write`).",
        "",
        "| endpoint | requests | req/s | p50 (ms) | p95 (ms) | p99 (ms) | errors | "
        "p50 / baseline | p95 / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = [*BASELINE_FOR, *sorted(set(BASELINE_FOR.values())), "Aggregated"]
    for name in order:
        r = rows.get(name)
        if r is None:
            continue
        base = rows.get(BASELINE_FOR.get(name, ""))
        ratio50 = f"{r['p50'] / base['p50']:.1f}x" if base and base["p50"] else ""
        ratio95 = f"{r['p95'] / base['p95']:.1f}x" if base and base["p95"] else ""
        errors = 100 * r["failures"] / r["requests"] if r["requests"] else 0.0
        label = "all" if name == "Aggregated" else f"`{name}`" if "?" in name else name
        lines.append(
            f"| {label} | {r['requests']:,} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
            f"{r['p99']:.0f} | {errors:.2f}% | {ratio50} | {ratio95} |"
        )
    lines.append("")
    lines.append(
        f"Baselines: the dashboard against the admin login page (an admin template, no data), "
        f"the rollup API against the API root (token auth, throttle, DRF rendering). CPU in use "
        f"during the load, on average: {cpu['machine']:.2f} of {CORES} cores, of which gunicorn "
        f"{cpu['gunicorn']:.2f}, locust {cpu['locust']:.2f}, other work on the machine "
        f"{cpu['others']:.2f}, and PostgreSQL (every database, other sessions' too) with "
        "short-lived processes about "
        f"{max(0.0, cpu['machine'] - cpu['gunicorn'] - cpu['locust'] - cpu['others']):.2f} "
        f"(the machine was {cpu['busy_before']:.0f}% busy just before the load started)."
    )
    if load["failures"]:
        lines += ["", "Errors: " + "; ".join(load["failures"])]
    lines += [
        "",
        "One request at a time, in process (Django test client, same settings and database; "
        "median of 15; queries with the rollup stored, and in brackets on the first request "
        "after a change, when the rollup is recomputed and stored):",
        "",
        "| request | queries | ms |",
        "|---|---:|---:|",
    ]
    for name, r in prof["requests"].items():
        label = f"`{name}`" if "?" in name else name
        lines.append(f"| {label} | {r['queries']} ({r['queries_cold']}) | {r['ms']:.1f} |")
    for name, ms in prof["rollup"].items():
        lines.append(f"| `{name.split(' ', 1)[0]}` {name.split(' ', 1)[1]} | | {ms:.1f} |")
    return "\n".join(lines) + "\n"


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def _interrupted(signum, frame):
    raise SystemExit(128 + signum)


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, _interrupted)
    work = Path(tempfile.mkdtemp(prefix="foitrack-load-"))
    env = production_env(args, work / "media")
    server = None
    created = False
    try:
        admin_sql(args.pg, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        admin_sql(args.pg, f'CREATE DATABASE "{args.db}"')
        created = True
        for name in ("REDIS_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        started = time.monotonic()
        seeded = seed(args.users)
        print(f"seeded in {time.monotonic() - started:.1f} s: {seeded['data']}", file=sys.stderr)
        seeded["think_seconds"] = args.think
        config = work / "logins.json"
        config.write_text(json.dumps(seeded))
        prof = profile(seeded)
        print(json.dumps(prof, indent=1), file=sys.stderr)

        port = free_port()
        server = start_gunicorn(env, port, args.workers, work / "gunicorn.log")
        check_endpoints(port, seeded)
        workers = gunicorn_processes(server)
        ours = {os.getpid(), *(p.pid for p in workers)}
        busy_before = wait_for_quiet(args.quiet_wait)
        before = cpu_seconds(workers)
        others_before = other_cpu_seconds(ours)
        load = run_locust(args, env, port, config, work)
        others_after = other_cpu_seconds(ours)
        wall = load["wall"]
        cpu = {
            "busy_before": busy_before,
            "gunicorn": (cpu_seconds(workers) - before) / wall,
            "locust": load["locust_cpu_seconds"] / wall,
            "machine": CORES * load["system_cpu_percent"] / 100,
            "others": sum(t - others_before.get(pid, 0.0) for pid, t in others_after.items())
            / wall,
        }
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn died during the load:\n{tail(work / 'gunicorn.log')}")
        body = report(args, seeded, prof, load, cpu, pg_version(args.pg))
        print(body)
        if errors := tail(work / "gunicorn.log", 10):
            print(f"gunicorn error log (tail):\n{errors}", file=sys.stderr)
        if args.write:
            write_section("Load", body)
    finally:
        stop(server)
        if created:
            with suppress(Exception):
                from django.db import connections

                connections.close_all()
            admin_sql(args.pg, f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
