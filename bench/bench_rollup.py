"""Rollup speed over 1,000,000 observations on PostgreSQL, against hand-written SQL.

    .venv/bin/python bench/bench_rollup.py            # print the table
    .venv/bin/python bench/bench_rollup.py --write    # and update BENCHMARKS.md

Builds its own database (foitrack_bench_rollup on 127.0.0.1:5432, dropped at the end): a campaign
of 44 forces and 4 periods whose documents are age x offence crosstabs with total rows, loaded
with COPY until the observations table holds 1,000,000 rows. Then, interleaved, median of 5:

- baseline: a hand-written SQL GROUP BY over the same table that reads every counted observation
  once, grouped by force, document, period, table, age and offence (everything the rules need),
  fetched with a raw cursor;
- rollup: `aggregation.rollups.compute`, the whole computation through the ORM (its three GROUP
  BY queries, supersession, breakdowns);
- for scale, the plainest national GROUP BY (period totals only) over the same table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = "foitrack_bench_rollup"
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foitrack.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402
from benchmarks_md import write_section  # noqa: E402

TARGET_ROWS = 1_000_000
PERIODS = ["2015-16", "2016-17", "2017-18", "2018-19"]
AGES = [str(a) for a in range(18)] + ["unknown"]
# Forces list offences by Home Office name; several names fall in one category.
OFFENCES = [f"Offence category {i % 8}" for i in range(30)]
RUNS = 5

HAND_WRITTEN = """
SELECT o.force_id, o.document_id, o.period, o."table", o.age, o.offence,
       SUM(o.lower), SUM(o.upper)
FROM aggregation_observation o
JOIN requests_app_document d ON d.id = o.document_id
JOIN requests_app_foirequest r ON r.id = d.request_id
WHERE r.campaign_id = %s AND d.status IN ('parsed', 'approved') AND o.period = ANY(%s)
  AND (NOT o.derived OR (o.age = '' AND o.offence = ''))
GROUP BY o.force_id, o.document_id, o.period, o."table", o.age, o.offence
"""
# The rollup's own three statements, hand-written: kinds of figure per table, then the age and
# offence breakdowns of the chosen documents.
SAME_FIRST = """
SELECT o.force_id, o.document_id, o.period, o."table",
       CASE WHEN o.age = '' AND o.offence = '' THEN 't' WHEN o.offence = '' THEN 'a'
            WHEN o.age = '' THEN 'o' ELSE 'x' END AS kind,
       SUM(o.lower), SUM(o.upper), MIN(o.lower), MAX(o.upper), MAX(o.lower), MIN(o.upper)
FROM aggregation_observation o
JOIN requests_app_document d ON d.id = o.document_id
JOIN requests_app_foirequest r ON r.id = d.request_id
WHERE r.campaign_id = %s AND d.status IN ('parsed', 'approved') AND o.period = ANY(%s)
  AND (NOT o.derived OR (o.age = '' AND o.offence = ''))
GROUP BY 1, 2, 3, 4, 5
"""
SAME_BREAKDOWN = """
SELECT o.force_id, o.document_id, o.period, o."table", o.{dim}, SUM(o.lower), SUM(o.upper)
FROM aggregation_observation o
JOIN requests_app_document d ON d.id = o.document_id
JOIN requests_app_foirequest r ON r.id = d.request_id
WHERE r.campaign_id = %s AND d.status IN ('parsed', 'approved') AND o.period = ANY(%s)
  AND NOT o.derived AND o.{dim} <> '' AND o.document_id = ANY(%s)
GROUP BY 1, 2, 3, 4, 5
"""
PLAIN = """
SELECT period, SUM(lower), SUM(upper) FROM aggregation_observation
WHERE derived AND age = '' AND offence = '' GROUP BY period
"""


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
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


def document_rows(doc_id: int, force_id: int) -> list[tuple]:
    """One crosstab document: every period's age x offence cells, age and offence totals, total."""
    rows = []
    for period in PERIODS:
        total = 0
        for age in AGES:
            for offence in OFFENCES:
                n = (doc_id * 7 + len(age) * 3 + len(offence)) % 9
                total += n
                rows.append((doc_id, force_id, period, age, offence, n, False))
        for age in AGES:
            rows.append((doc_id, force_id, period, age, "", 0, True))
        for offence in OFFENCES:
            rows.append((doc_id, force_id, period, "", offence, 0, True))
        rows.append((doc_id, force_id, period, "", "", total, True))
    return rows


def load() -> int:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection

    from requests_app.models import Campaign, Document, DocumentStatus, Force
    from requests_app.services import campaign_record_sent

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("bench")
    campaign = Campaign.objects.create(
        title="Bench", slug="bench", owner=owner, request_text="-", periods=PERIODS
    )
    campaign.target_forces.set(Force.objects.default_targets())
    campaign_record_sent(campaign=campaign, by=owner, on=dt.date(2024, 3, 1))
    requests = list(campaign.requests.select_related("force"))
    per_doc = len(PERIODS) * (len(AGES) * len(OFFENCES) + len(AGES) + len(OFFENCES) + 1)
    n_docs = -(-TARGET_ROWS // per_doc)
    docs = Document.objects.bulk_create(
        Document(
            request=requests[i % len(requests)],
            original_name=f"doc-{i}.xlsx",
            size=1,
            sha256=f"{i:064d}",
            status=DocumentStatus.PARSED,
            file=f"responses/{i}",
        )
        for i in range(n_docs)
    )
    buffer = io.StringIO()
    written = 0
    for doc in docs:
        for doc_id, force_id, period, age, offence, n, derived in document_rows(
            doc.pk, doc.request.force_id
        ):
            if written == TARGET_ROWS:
                break
            buffer.write(
                f"{doc_id}\t{force_id}\t{period}\t{age}\t{offence}\t{n}\t{n}\t{n}\t"
                f"{'t' if derived else 'f'}\tSheet1\tB2\t{n}\t0\n"
            )
            written += 1
    buffer.seek(0)
    columns = (
        "document_id, force_id, period, age, offence, value, lower, upper, derived, sheet, cell,"
        ' raw, "table"'
    )
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
            f"COPY aggregation_observation ({columns}) FROM STDIN"
        ) as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE aggregation_observation")
    return campaign.pk


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(campaign_id: int) -> dict[str, float]:
    from django.db import connection

    from aggregation import rollups
    from aggregation.models import Observation
    from requests_app.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)

    def hand_written() -> None:
        with connection.cursor() as cursor:
            cursor.execute(HAND_WRITTEN, [campaign_id, PERIODS])
            cursor.fetchall()

    chosen = sorted({f["document"] for f in rollups.compute(campaign)["figures"]})

    def same_statements() -> None:
        with connection.cursor() as cursor:
            cursor.execute(SAME_FIRST, [campaign_id, PERIODS])
            cursor.fetchall()
            for dim in ("age", "offence"):
                cursor.execute(SAME_BREAKDOWN.format(dim=dim), [campaign_id, PERIODS, chosen])
                cursor.fetchall()

    def plain() -> None:
        with connection.cursor() as cursor:
            cursor.execute(PLAIN)
            cursor.fetchall()

    tasks = {
        "baseline": hand_written,
        "same": same_statements,
        "rollup": lambda: rollups.compute(campaign),
        "plain": plain,
    }
    for fn in tasks.values():  # warm the cache and the plans once
        fn()
    times: dict[str, list[float]] = {k: [] for k in tasks}
    for _ in range(RUNS):
        for key, fn in tasks.items():
            times[key].append(timed(fn))
    result = {k: statistics.median(v) for k, v in times.items()}
    result["rows"] = Observation.objects.count()
    figures = rollups.compute(campaign)["figures"]
    result["figures"] = len(figures)
    return result


def table(r: dict[str, float]) -> str:
    base = r["baseline"]
    return "\n".join(
        [
            f"{r['rows']:,} observations in PostgreSQL; {r['figures']} force-period figures; "
            f"median of {RUNS}, interleaved, warm. Target: rollup <= 1.2x the hand-written SQL. "
            f"Measured {dt.date.today()} on this 2-core machine.",
            "",
            "| task | wall (s) | x hand-written SQL |",
            "|---|---:|---:|",
            f"| hand-written SQL GROUP BY of every counted cell, raw cursor (baseline) | "
            f"{base:.3f} | 1.00 |",
            f"| the rollup's own three GROUP BYs, hand-written, raw cursor | {r['same']:.3f} | "
            f"{r['same'] / base:.2f} |",
            f"| `rollups.compute` (ORM queries + all rollup rules) | {r['rollup']:.3f} | "
            f"{r['rollup'] / base:.2f} ({r['rollup'] / r['same']:.2f} x its own SQL) |",
            f"| plainest national GROUP BY (period totals only), for scale | {r['plain']:.3f} | "
            f"{r['plain'] / base:.2f} |",
            "",
            "The dashboard and API read the stored result (`CampaignRollup`), recomputed only when",
            "a document of the campaign changes.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database for a rerun")
    args = parser.parse_args()
    if not (args.keep and database_exists()):
        recreate_database()
        django.setup()
        campaign_id = load()
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
