"""Rollup and dashboard speed over 10,000,000 observations on PostgreSQL.

    .venv/bin/python bench/bench_rollup.py            # print the table
    .venv/bin/python bench/bench_rollup.py --write    # and update BENCHMARKS.md
    .venv/bin/python bench/bench_rollup.py --rows 1000000 --keep   # smaller; keep the database

Builds its own database (foitrack_bench_rollup on 127.0.0.1:5432, dropped at the end): a campaign
of 44 forces and 4 periods whose documents are age x offence crosstabs with subtotal rows and
columns and a total, several documents per force (so the newest supersedes the others and their
differences are conflicts), loaded with COPY until the observations table holds the rows asked.
Each document's per-table sums (``DocumentFigure``) are computed by the product's own
``document_sums``, as a parse writes them.

Measured interleaved, median of 5, warm:

- `rollups.compute`: the campaign's figures from the per-document sums (ORM + every rule);
- baseline A, the same statement hand-written: the one GROUP BY-free read of the per-document
  sums `compute` runs, with a raw cursor and no rules;
- baseline B, the old way: one hand-written GROUP BY over every counted observation;
- the dashboard, warm (stored figures), in process through the Django test client, and after a
  document changed (figures recomputed), against the admin's login page for scale;
- writing one document's sums after its observations, against writing those observations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DB", "foitrack_bench_rollup")
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foitrack.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402
from benchmarks_md import write_section  # noqa: E402

PERIODS = ["2015-16", "2016-17", "2017-18", "2018-19"]
AGES = [str(a) for a in range(18)] + ["unknown"]
OFFENCES = [
    "Rape",
    "Sexual assault",
    "Sexual activity involving a child",
    "Sexual grooming",
    "Sexual communication with a child",
    "Indecent images of children",
    "Sexual exploitation of children",
    "Other sexual offences",
]
RUNS = 5

# Baseline A: the two statements `compute` runs, hand-written: every counted document's own
# figure ranked per force and period (only the counted ones and those that differ returned),
# then the counted documents' breakdowns.
RANKED = """
WITH ranked AS (
  SELECT f.force_id, s.slug, f.period, f.document_id, f.key, f.tables, f.lower, f.upper,
         f.lower_max, f.upper_min, ROW_NUMBER() OVER w AS rank,
         FIRST_VALUE(f.lower) OVER w AS counted_lower, FIRST_VALUE(f.upper) OVER w AS counted_upper
  FROM aggregation_documentfigure f
  JOIN requests_app_document d ON d.id = f.document_id
  JOIN requests_app_foirequest r ON r.id = d.request_id
  JOIN requests_app_force s ON s.id = f.force_id
  WHERE r.campaign_id = %s AND d.status IN ('parsed', 'approved') AND f.period = ANY(%s)
    AND ((f.kind = 'figure' AND NOT d.count_breakdown)
         OR (f.kind = 'breakdown' AND d.count_breakdown))
  WINDOW w AS (PARTITION BY f.force_id, f.period
               ORDER BY d.pinned DESC, d.uploaded_at DESC, f.document_id DESC)
)
SELECT * FROM ranked WHERE rank = 1 OR lower <> counted_lower OR upper <> counted_upper
"""
BREAKDOWNS = """
SELECT force_id, period, document_id, "table", kind, dimension, key, lower, upper
FROM aggregation_documentfigure WHERE document_id = ANY(%s) AND kind IN ('shape', 'part')
"""
# Baseline B: the old way, every counted cell grouped by what the rules need.
OLD_WAY = """
SELECT o.force_id, o.document_id, o.period, o."table", o.shape, o.dimensions,
       SUM(o.lower), SUM(o.upper)
FROM aggregation_observation o
JOIN requests_app_document d ON d.id = o.document_id
JOIN requests_app_foirequest r ON r.id = d.request_id
WHERE r.campaign_id = %s AND d.status IN ('parsed', 'approved') AND o.period = ANY(%s)
  AND (NOT o.derived OR o.shape = '')
GROUP BY 1, 2, 3, 4, 5, 6
"""


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def database_exists() -> bool:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone())


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def document_cells(doc_id: int, force_id: int):
    """One crosstab document: every period's age x offence cells, age and offence subtotals,
    and the total, as (period, dimensions, value, derived)."""
    for period in PERIODS:
        total = 0
        by_age = dict.fromkeys(AGES, 0)
        by_offence = dict.fromkeys(OFFENCES, 0)
        for age in AGES:
            for offence in OFFENCES:
                n = (doc_id * 7 + len(age) * 3 + len(offence)) % 9
                total += n
                by_age[age] += n
                by_offence[offence] += n
                yield period, {"age": age, "offence": offence}, n, False
        for age, n in by_age.items():
            yield period, {"age": age}, n, True
        for offence, n in by_offence.items():
            yield period, {"offence": offence}, n, True
        yield period, {}, total, True


PER_DOCUMENT = len(PERIODS) * (len(AGES) * len(OFFENCES) + len(AGES) + len(OFFENCES) + 1)


def load(target_rows: int) -> int:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from aggregation.document_figures import Cell, document_sums, shape_of
    from aggregation.services import campaign_create
    from requests_app.models import Document, DocumentStatus
    from requests_app.services import campaign_record_sent

    call_command("migrate", verbosity=0)
    owner = User.objects.create_superuser("bench", "bench@example.org", "bench-password-1")
    campaign = campaign_create(title="Bench", slug="bench", owner=owner, periods=PERIODS)
    campaign_record_sent(campaign=campaign, by=owner, on=dt.date(2024, 3, 1))
    requests = list(campaign.requests.select_related("force"))
    n_docs = -(-target_rows // PER_DOCUMENT)
    base = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)
    docs = Document.objects.bulk_create(
        Document(
            request=requests[i % len(requests)],
            original_name=f"doc-{i}.xlsx",
            size=1,
            sha256=f"{i:064d}",
            status=DocumentStatus.PARSED,
            file=f"responses/{i}",
            uploaded_at=base + dt.timedelta(minutes=i),
        )
        for i in range(n_docs)
    )
    written = 0
    observations, figures = io.StringIO(), io.StringIO()
    with connection.cursor() as cursor:
        for doc in docs:
            force_id = doc.request.force_id
            cells = []
            for period, dims, n, derived in document_cells(doc.pk, force_id):
                if written == target_rows:
                    break
                text = json.dumps(dims)
                observations.write(
                    f"{doc.pk}\t{force_id}\t{period}\t{text}\t{shape_of(dims)}\t{n}\t{n}\t{n}\t"
                    f"{'t' if derived else 'f'}\tSheet1\tB2\t{n}\t0\n"
                )
                cells.append(Cell(force_id, period, 0, dims, n, n, derived))
                written += 1
            for s in document_sums(cells, ["age", "offence"]):
                figures.write(
                    f"{doc.pk}\t{s.force_id}\t{s.period}\t{s.table}\t{s.kind}\t{s.dimension}\t"
                    f"{s.key}\t{s.lower}\t{s.upper}\t{_null(s.lower_max)}\t{_null(s.upper_min)}\t"
                    f"{s.tables}\n"
                )
            if observations.tell() > 64 * 2**20:
                _copy(cursor, observations, figures)
        _copy(cursor, observations, figures)
        cursor.execute("ANALYZE")
    return campaign.pk


def _null(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _copy(cursor, observations: io.StringIO, figures: io.StringIO) -> None:
    for table, columns, buffer in (
        (
            "aggregation_observation",
            "document_id, force_id, period, dimensions, shape, value, lower, upper, derived, "
            'sheet, cell, raw, "table"',
            observations,
        ),
        (
            "aggregation_documentfigure",
            'document_id, force_id, period, "table", kind, dimension, key, lower, upper, '
            "lower_max, upper_min, tables",
            figures,
        ),
    ):
        with cursor.connection.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(campaign_id: int) -> dict:
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from aggregation import rollups, services
    from aggregation.models import Observation
    from requests_app.models import Campaign, Document

    campaign = Campaign.objects.get(pk=campaign_id)

    def same() -> None:
        with connection.cursor() as cursor:
            cursor.execute(RANKED, [campaign_id, PERIODS])
            counted = sorted({row[3] for row in cursor.fetchall() if row[10] == 1})
            cursor.execute(BREAKDOWNS, [counted])
            cursor.fetchall()

    def old_way() -> None:
        with connection.cursor() as cursor:
            cursor.execute(OLD_WAY, [campaign_id, PERIODS])
            cursor.fetchall()

    client = Client()
    client.force_login(campaign.owner)
    dashboard = reverse("dashboard", args=[campaign.slug])
    newest = (
        Document.objects.filter(request__campaign=campaign, observations__isnull=False)
        .distinct()
        .latest("uploaded_at")
    )

    def warm_dashboard() -> None:
        assert client.get(dashboard).status_code == 200

    def changed_dashboard() -> None:
        Document.objects.filter(pk=newest.pk).update(status_changed_at=timezone.now())
        assert client.get(dashboard).status_code == 200

    def login_page() -> None:
        assert Client().get("/admin/login/").status_code == 200

    rows = list(
        Observation.objects.filter(document=newest).values_list(
            "force_id", "period", "table", "dimensions", "lower", "upper", "derived"
        )
    )

    def write_observations() -> None:
        with transaction.atomic():
            Observation.objects.bulk_create(
                [
                    Observation(document_id=newest.pk, force_id=f, period=p, table=t,
                                dimensions=d, lower=lo, upper=up, derived=dv, sheet="S", cell="A1")
                    for f, p, t, d, lo, up, dv in rows
                ],
                batch_size=2000,
            )  # fmt: skip
            transaction.set_rollback(True)

    def write_sums() -> None:
        with transaction.atomic():
            services.document_refresh_figures(document=newest)
            transaction.set_rollback(True)

    tasks = {
        "compute": lambda: rollups.compute(campaign),
        "same": same,
        "old_way": old_way,
        "dashboard": warm_dashboard,
        "dashboard_changed": changed_dashboard,
        "login": login_page,
        "write_observations": write_observations,
        "write_sums": write_sums,
    }
    for fn in tasks.values():  # warm the caches and the plans once
        fn()
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for _ in range(RUNS):
        for key, fn in tasks.items():
            times[key].append(timed(fn))
    result: dict = {k: statistics.median(v) for k, v in times.items()}
    data = rollups.compute(campaign)
    result["rows"] = Observation.objects.count()
    result["documents"] = Document.objects.filter(request__campaign=campaign).count()
    result["figures"] = len(data["figures"])
    result["conflicts"] = len(data["conflicts"])
    result["document_rows"] = len(rows)
    return result


def table(r: dict) -> str:
    same, old = r["same"], r["old_way"]
    return "\n".join(
        [
            f"{r['rows']:,} observations in PostgreSQL from {r['documents']:,} documents (44 "
            f"forces, 4 periods: {r['figures']} force-period figures, {r['conflicts']:,} "
            f"conflicts between documents); median of {RUNS}, interleaved, warm. Targets: rollup "
            "<= 1.2x the same statement hand-written; dashboard warm < 200 ms. Measured "
            f"{dt.date.today()} on this 2-core machine.",
            "",
            "| task | wall (ms) | ratio |",
            "|---|---:|---:|",
            f"| baseline A: the two statements `compute` runs, hand-written, raw cursor | "
            f"{same * 1000:.1f} | 1.00 |",
            f"| `rollups.compute` (ORM + every rule: supersession, breakdowns, conflicts) | "
            f"{r['compute'] * 1000:.1f} | {r['compute'] / same:.2f} x A |",
            f"| baseline B: one hand-written GROUP BY over every counted observation | "
            f"{old * 1000:.1f} | {r['compute'] / old:.3f} (compute / B) |",
            f"| dashboard, warm (stored figures), in process | {r['dashboard'] * 1000:.1f} | "
            f"{r['dashboard'] / r['login']:.1f} x login page |",
            f"| dashboard after a document changed (figures recomputed) | "
            f"{r['dashboard_changed'] * 1000:.1f} | "
            f"{r['dashboard_changed'] / r['login']:.1f} x login page |",
            f"| admin login page, for scale | {r['login'] * 1000:.1f} | |",
            f"| writing one document's sums after a parse ({r['document_rows']:,} cells) | "
            f"{r['write_sums'] * 1000:.1f} | "
            f"{r['write_sums'] / r['write_observations']:.2f} x writing its observations |",
            "",
            "Each parse writes its document's sums beside its observations (`DocumentFigure`),",
            "so the campaign's figures are computed from a few rows per document, never from the",
            "cells; the dashboard and API read the stored result (`CampaignRollup`), recomputed",
            "from those sums only when a document of the campaign changes.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database for a rerun")
    parser.add_argument("--rows", type=int, default=10_000_000, help="observations to load")
    args = parser.parse_args()
    if not (args.keep and database_exists()):
        recreate_database()
        django.setup()
        campaign_id = load(args.rows)
    else:
        django.setup()
        from requests_app.models import Campaign

        campaign_id = Campaign.objects.get(slug="bench").pk
    try:
        body = table(measure(campaign_id))
    finally:
        if not args.keep:
            drop_database()
    print(body)
    if args.write:
        write_section("Rollup", body)


if __name__ == "__main__":
    main()
