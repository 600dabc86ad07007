"""Reads: figures about campaigns and their requests, computed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, F, Q, QuerySet

from requests_app.models import (
    OPEN,
    Campaign,
    Exemption,
    FOIRequest,
    Lateness,
    Status,
)


@dataclass(frozen=True)
class OutcomeFigures:
    sent: int
    answered: int
    answered_in_time: int
    median_working_days: float | None
    refusals_by_exemption: dict[str, int] = field(default_factory=dict)
    outstanding: int = 0
    overdue: int = 0
    very_overdue: int = 0
    review_overdue: int = 0

    @property
    def answered_in_time_pct(self) -> float | None:
        return round(100 * self.answered_in_time / self.answered, 1) if self.answered else None


def campaign_outcome(campaign: Campaign) -> OutcomeFigures:
    requests = FOIRequest.objects.filter(campaign=campaign)
    counts = requests.aggregate(
        sent=Count("id", filter=Q(sent_on__isnull=False)),
        answered=Count("id", filter=Q(answered_on__isnull=False)),
        # The stored due date already carries restarts, fee pauses and PIT extensions.
        answered_in_time=Count("id", filter=Q(answered_on__lte=F("due_on"))),
        outstanding=Count("id", filter=Q(status__in=OPEN)),
        overdue=Count("id", filter=~Q(lateness=Lateness.ON_TIME)),
        very_overdue=Count("id", filter=Q(lateness=Lateness.VERY_OVERDUE)),
        review_overdue=Count("id", filter=Q(review_overdue=True)),
    )
    days = list(
        requests.filter(working_days_to_answer__isnull=False).values_list(
            "working_days_to_answer", flat=True
        )
    )
    refusals = (
        Exemption.objects.filter(requests__campaign=campaign, requests__status=Status.REFUSED)
        .annotate(n=Count("requests"))
        .order_by("-n", "id")
    )
    return OutcomeFigures(
        median_working_days=median(days) if days else None,
        refusals_by_exemption={e.code: e.n for e in refusals},
        **counts,
    )


def campaign_status_counts(campaign: Campaign) -> list[tuple[str, int]]:
    """(status label, count) for every status the campaign's requests are in, in lifecycle order."""
    rows = dict(
        FOIRequest.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [(s.label, rows[s.value]) for s in Status if s.value in rows]


def campaign_overdue_requests(campaign: Campaign) -> QuerySet[FOIRequest]:
    return (
        FOIRequest.objects.filter(campaign=campaign)
        .filter(~Q(lateness=Lateness.ON_TIME) | Q(review_overdue=True))
        .select_related("force")
        .order_by("due_on", "force__name")
    )
