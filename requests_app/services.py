"""Every write to campaigns and FOI requests goes through here.

The admin, the API, management commands and Celery tasks all call these functions, so a request's
status changes in exactly one way: by recording an event that is valid for its current status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from requests_app import access, deadlines
from requests_app.inputs import check_length
from requests_app.models import (
    ANSWERED,
    AWAITING_FORCE,
    NOTE_MAX_LENGTH,
    OPEN,
    REFERENCE_MAX_LENGTH,
    Campaign,
    CampaignMember,
    EventKind,
    Exemption,
    FOIRequest,
    Lateness,
    RequestEvent,
    Status,
    validate_references,
)

ANY_STATUS = frozenset(Status)
STILL_OPEN = frozenset(OPEN)


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[Status]
    to: Status | None  # None: the status stays as it is


TRANSITIONS: dict[EventKind, Transition] = {
    EventKind.SENT: Transition(frozenset({Status.DRAFT}), Status.SENT),
    EventKind.RESENT: Transition(frozenset(AWAITING_FORCE), None),
    EventKind.ACKNOWLEDGED: Transition(frozenset({Status.SENT}), Status.ACKNOWLEDGED),
    EventKind.CLARIFICATION_ASKED: Transition(frozenset(AWAITING_FORCE), Status.CLARIFICATION),
    EventKind.CLARIFICATION_GIVEN: Transition(frozenset({Status.CLARIFICATION}), Status.SENT),
    EventKind.FEES_NOTICE: Transition(frozenset(AWAITING_FORCE), Status.FEES),
    EventKind.FEE_PAID: Transition(frozenset({Status.FEES}), Status.SENT),
    EventKind.PIT_EXTENSION: Transition(
        frozenset({Status.SENT, Status.ACKNOWLEDGED}), Status.EXTENDED
    ),
    EventKind.RESPONSE_RECEIVED: Transition(STILL_OPEN | {Status.PARTIAL}, Status.ANSWERED),
    EventKind.PARTIAL_RESPONSE: Transition(STILL_OPEN, Status.PARTIAL),
    EventKind.REFUSED: Transition(STILL_OPEN | {Status.PARTIAL}, Status.REFUSED),
    EventKind.NOT_HELD: Transition(STILL_OPEN, Status.NOT_HELD),
    EventKind.WITHDRAWN: Transition(STILL_OPEN | {Status.DRAFT}, Status.WITHDRAWN),
    # The letter never arrived: the request is unsent again, and its clock starts at the next send.
    EventKind.BOUNCED: Transition(frozenset({Status.SENT}), Status.DRAFT),
    EventKind.REVIEW_ASKED: Transition(frozenset(ANSWERED), Status.REVIEW),
    EventKind.REVIEW_ANSWERED: Transition(frozenset({Status.REVIEW}), Status.REVIEWED),
    EventKind.ICO_COMPLAINT: Transition(frozenset({Status.REVIEW, Status.REVIEWED}), Status.ICO),
    EventKind.ICO_DECISION: Transition(frozenset({Status.ICO}), Status.CLOSED),
    EventKind.NOTE: Transition(ANY_STATUS, None),
}

ANSWER_KINDS = (
    EventKind.RESPONSE_RECEIVED,
    EventKind.PARTIAL_RESPONSE,
    EventKind.REFUSED,
    EventKind.NOT_HELD,
)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _check_transition(request: FOIRequest, kind: EventKind, on: date, target_on: date | None):
    transition = TRANSITIONS[kind]
    if request.status not in transition.allowed_from:
        allowed = ", ".join(Status(s).label.lower() for s in transition.allowed_from)
        raise _refuse(
            "kind",
            f"A request that is '{request.get_status_display().lower()}' cannot be "
            f"'{kind.label.lower()}'; that event needs a request that is: {allowed}.",
        )
    if on > timezone.localdate():
        raise _refuse("occurred_on", f"{on} is in the future.")
    for field, day in (("occurred_on", on), ("target_on", target_on)):
        try:
            if day is not None:
                deadlines.check_day(day, "The date")
        except ValueError as exc:
            raise _refuse(field, f"{exc}.") from None
    last = request.events.exclude(kind=EventKind.NOTE).order_by("-occurred_on").first()
    if last and kind != EventKind.NOTE and on < last.occurred_on:
        raise _refuse(
            "occurred_on",
            f"{on} is before the last event ({last.get_kind_display().lower()} on "
            f"{last.occurred_on}); events are recorded in the order they happened.",
        )
    if kind == EventKind.NOTE and request.sent_on and on < request.sent_on:
        raise _refuse("occurred_on", f"{on} is before the request was sent ({request.sent_on}).")
    if kind == EventKind.PIT_EXTENSION:
        if request.force.foi_regime == deadlines.Regime.FOISA:
            raise _refuse("kind", "FOISA has no public-interest extension.")
        if target_on is not None and request.due_on and target_on <= request.due_on:
            raise _refuse(
                "target_on", f"{target_on} is not after the current due date {request.due_on}."
            )
    elif target_on is not None:
        raise _refuse("target_on", "Only a public-interest extension sets a new target date.")


def check_event(
    *,
    request: FOIRequest,
    kind: EventKind | str,
    on: date,
    target_on: date | None = None,
    exemptions: Iterable[str] = (),
    ncnd: bool = False,
) -> list[Exemption]:
    """Refuse an event that cannot happen now, with the field and the reason; write nothing.

    Returns the exemptions a refusal cites. Forms call this to show errors before saving.
    """
    try:
        kind = EventKind(kind)
    except ValueError:
        raise _refuse("kind", f"{kind!r} is not a kind of event.") from None
    _check_transition(request, kind, on, target_on)
    codes = sorted(set(exemptions))
    if kind != EventKind.REFUSED:
        if codes or ncnd:
            raise _refuse("exemptions", "Only a refusal cites exemptions.")
        return []
    found = list(Exemption.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {e.code for e in found})
    if unknown:
        raise _refuse("exemptions", f"Unknown exemption(s): {', '.join(unknown)}.")
    if not codes:
        raise _refuse("exemptions", "A refusal names the exemption(s) the force cited.")
    return found


@transaction.atomic
def record_event(
    *,
    request: FOIRequest,
    kind: EventKind | str,
    by: User | None,
    on: date | None = None,
    note: str = "",
    target_on: date | None = None,
    exemptions: Iterable[str] = (),
    ncnd: bool = False,
    reference: str = "",
) -> RequestEvent:
    """Record one event on a request's timeline and move its status; refuse it with the reason."""
    check_length(field="note", value=note, limit=NOTE_MAX_LENGTH)
    check_length(field="reference", value=reference, limit=REFERENCE_MAX_LENGTH)
    on = on or timezone.localdate()
    # Lock the row: two researchers recording at once must not both pass the status check.
    request = FOIRequest.objects.select_for_update().select_related("force").get(pk=request.pk)
    cited = check_event(
        request=request, kind=kind, on=on, target_on=target_on, exemptions=exemptions, ncnd=ncnd
    )
    kind = EventKind(kind)
    if kind == EventKind.REFUSED:
        request.exemptions.set(cited)
        request.ncnd = ncnd

    event = RequestEvent(
        request=request,
        kind=kind,
        occurred_on=on,
        note=note,
        target_on=target_on,
        status_before=request.status,
        status_after=TRANSITIONS[kind].to or request.status,
        recorded_by=by,
    )
    # History keeps who: the web middleware knows, but a command or task passes `by`.
    event._history_user = request._history_user = by
    event.save()
    request.status = event.status_after
    if reference and reference not in request.references:
        request.references = [*request.references, reference]
        try:
            validate_references(request.references)
        except ValidationError as exc:
            raise _refuse("reference", exc.messages[0]) from None
    _refresh_clock(request)
    request.save()
    return event


def _refresh_clock(request: FOIRequest, today: date | None = None) -> None:
    """Re-derive the stored dates from the whole timeline, so they can never drift from it."""
    regime = deadlines.Regime(request.force.foi_regime)
    events = deadlines.after_last_bounce(
        list(request.events.order_by("occurred_on", "recorded_at", "id"))
    )
    clock_events = [deadlines.ClockEvent(e.kind, e.occurred_on, e.target_on) for e in events]
    first = {}
    for e in events:
        first.setdefault(e.kind, e.occurred_on)
    request.sent_on = first.get(EventKind.SENT)
    request.acknowledged_on = first.get(EventKind.ACKNOWLEDGED)
    answered = [first[k] for k in ANSWER_KINDS if k in first]
    request.answered_on = min(answered) if answered else None

    try:
        clock = deadlines.compute_deadline(clock_events, regime) if request.sent_on else None
    except ValueError as exc:  # a timeline the law cannot count: refuse the event that made it
        raise _refuse("kind", str(exc)) from None
    request.due_on = clock.due if clock else None
    request.very_overdue_on = clock.very_overdue_after if clock else None
    request.working_days_to_answer = None
    if clock and request.answered_on:
        elapsed = deadlines.working_days_between(request.sent_on, request.answered_on, regime)
        request.working_days_to_answer = max(elapsed - clock.waiting_on_requester_days, 0)

    asked = [e.occurred_on for e in events if e.kind == EventKind.REVIEW_ASKED]
    request.review_asked_on = asked[-1] if asked else None
    request.review_due_on = (
        deadlines.review_due(request.review_asked_on, regime).due
        if request.review_asked_on
        else None
    )
    _refresh_lateness(request, today or timezone.localdate())


def _refresh_lateness(request: FOIRequest, today: date) -> None:
    lateness = Lateness.ON_TIME
    if request.status in AWAITING_FORCE and request.due_on and request.due_on < today:
        lateness = Lateness.OVERDUE
        if request.very_overdue_on and request.very_overdue_on < today:
            lateness = Lateness.VERY_OVERDUE
    request.lateness = lateness
    request.review_overdue = bool(
        request.status == Status.REVIEW and request.review_due_on and request.review_due_on < today
    )


# One service per transition: each names what the researcher did.


def foi_request_send(*, request: FOIRequest, by: User | None, on: date | None = None):
    return record_event(request=request, kind=EventKind.SENT, by=by, on=on)


def foi_request_resend(*, request: FOIRequest, by: User | None, on: date | None = None, note=""):
    """A re-send keeps the original clock: the force had the request all along."""
    return record_event(request=request, kind=EventKind.RESENT, by=by, on=on, note=note)


def foi_request_acknowledge(*, request, by, on=None, reference: str = "", note: str = ""):
    return record_event(
        request=request, kind=EventKind.ACKNOWLEDGED, by=by, on=on, reference=reference, note=note
    )


def foi_request_ask_clarification(*, request, by, on=None, note: str = ""):
    return record_event(
        request=request, kind=EventKind.CLARIFICATION_ASKED, by=by, on=on, note=note
    )


def foi_request_give_clarification(*, request, by, on=None, note: str = ""):
    return record_event(
        request=request, kind=EventKind.CLARIFICATION_GIVEN, by=by, on=on, note=note
    )


def foi_request_fees_notice(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.FEES_NOTICE, by=by, on=on, note=note)


def foi_request_pay_fee(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.FEE_PAID, by=by, on=on, note=note)


def foi_request_extend(*, request, by, on=None, target_on: date | None = None, note: str = ""):
    return record_event(
        request=request,
        kind=EventKind.PIT_EXTENSION,
        by=by,
        on=on,
        target_on=target_on,
        note=note,
    )


def foi_request_receive_response(*, request, by, on=None, note: str = "", reference: str = ""):
    return record_event(
        request=request,
        kind=EventKind.RESPONSE_RECEIVED,
        by=by,
        on=on,
        note=note,
        reference=reference,
    )


def foi_request_receive_partial(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.PARTIAL_RESPONSE, by=by, on=on, note=note)


def foi_request_refuse(
    *, request, by, exemptions: Iterable[str], ncnd: bool = False, on=None, note: str = ""
):
    return record_event(
        request=request,
        kind=EventKind.REFUSED,
        by=by,
        on=on,
        exemptions=exemptions,
        ncnd=ncnd,
        note=note,
    )


def foi_request_not_held(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.NOT_HELD, by=by, on=on, note=note)


def foi_request_withdraw(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.WITHDRAWN, by=by, on=on, note=note)


def foi_request_ask_review(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.REVIEW_ASKED, by=by, on=on, note=note)


def foi_request_answer_review(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.REVIEW_ANSWERED, by=by, on=on, note=note)


def foi_request_complain_to_ico(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.ICO_COMPLAINT, by=by, on=on, note=note)


def foi_request_record_ico_decision(*, request, by, on=None, note: str = ""):
    return record_event(request=request, kind=EventKind.ICO_DECISION, by=by, on=on, note=note)


def foi_request_add_note(*, request, by, note: str, on=None):
    if not note.strip():
        raise _refuse("note", "A note needs some text.")
    return record_event(request=request, kind=EventKind.NOTE, by=by, on=on, note=note)


@transaction.atomic
def campaign_record_sent(
    *, campaign: Campaign, by: User | None, on: date | None = None
) -> list[FOIRequest]:
    """Record that the campaign's request went to every target force outside the product.

    Emails nobody (``requests_app.mail.campaign_send`` is the one that emails). Creates the
    missing requests and records ``sent`` on each not yet sent; recording again adds none.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign_create_requests(campaign=campaign)
    sent = []
    for request in campaign.requests.filter(status=Status.DRAFT).select_related("force"):
        foi_request_send(request=request, by=by, on=on)
        sent.append(request)
    if sent and not campaign.sent_on:
        campaign.sent_on = on or timezone.localdate()
        campaign.save(update_fields=["sent_on"])
    return sent


# Membership: who may see and change a campaign (requests_app.access).


def _check_manager(campaign: Campaign, by: User | None) -> None:
    # by=None: a command or the demo seed, run by whoever runs the server.
    if by is not None and not access.may_manage_members(by, campaign):
        raise PermissionDenied("Only the campaign's owner manages its members.")


@transaction.atomic
def campaign_member_set(
    *, campaign: Campaign, user: User, role: access.Role | str, by: User | None
) -> CampaignMember:
    """Give a user a role in a campaign (researcher or reader), or change the role they have.

    Raises PermissionDenied when ``by`` is not the owner or a superuser; ValidationError naming
    the field for the owner themself, an unknown role, or the researcher role for a user outside
    the researcher group.
    """
    _check_manager(campaign, by)
    member = CampaignMember.objects.filter(campaign=campaign, user=user).first()
    member = member or CampaignMember(campaign=campaign, user=user)
    member.role = role
    member.full_clean()
    member._history_user = by
    member.save()
    return member


@transaction.atomic
def campaign_member_remove(*, campaign: Campaign, user: User, by: User | None) -> None:
    """Take a member off a campaign; they see none of it from now on."""
    _check_manager(campaign, by)
    for member in CampaignMember.objects.filter(campaign=campaign, user=user):
        member._history_user = by
        member.delete()


def campaign_create_requests(*, campaign: Campaign) -> int:
    """Create a (not yet sent) request for every target force that has none; how many were made.

    Raises ValidationError (target_forces) when the campaign has no target forces.
    """
    forces = list(campaign.target_forces.all())
    if not forces:
        raise _refuse("target_forces", "The campaign has no target forces to send to.")
    existing = set(campaign.requests.values_list("force_id", flat=True))
    created = FOIRequest.objects.bulk_create(
        [FOIRequest(campaign=campaign, force=f) for f in forces if f.pk not in existing]
    )
    return len(created)


def mark_overdue(*, today: date | None = None) -> dict[int, list[FOIRequest]]:
    """Mark lateness on every request from its stored due dates; returns overdue ones by owner."""
    today = today or timezone.localdate()
    changed: list[FOIRequest] = []
    late = ~Q(lateness=Lateness.ON_TIME) | Q(review_overdue=True)
    candidates = FOIRequest.objects.filter(Q(status__in=(*AWAITING_FORCE, Status.REVIEW)) | late)
    for request in candidates.select_related("force"):
        before = (request.lateness, request.review_overdue)
        _refresh_lateness(request, today)
        if (request.lateness, request.review_overdue) != before:
            changed.append(request)
    FOIRequest.objects.bulk_update(changed, ["lateness", "review_overdue"])

    by_owner: dict[int, list[FOIRequest]] = defaultdict(list)
    still_late = FOIRequest.objects.filter(late).select_related("campaign__owner", "force")
    for request in still_late.order_by("campaign__title", "due_on", "force__name"):
        by_owner[request.campaign.owner_id].append(request)
    return by_owner


def send_overdue_digests(*, today: date | None = None) -> int:
    """Mark lateness, then email each campaign owner one digest of their late requests."""
    by_owner = mark_overdue(today=today)
    sent = 0
    for requests in by_owner.values():
        owner = requests[0].campaign.owner
        if not owner.email:
            continue
        lines = [_digest_line(r) for r in requests]
        send_mail(
            subject=f"foitrack: {len(requests)} FOI request(s) need chasing",
            message="These requests are past their statutory deadline:\n\n"
            + "\n".join(lines)
            + f"\n\n{settings.SITE_URL}/admin/requests_app/foirequest/?lateness__exact=overdue\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[owner.email],
        )
        sent += 1
    return sent


def _digest_line(request: FOIRequest) -> str:
    if request.review_overdue:
        what = f"internal review due {request.review_due_on}"
    else:
        what = f"{request.get_lateness_display().lower()}, due {request.due_on}"
    return f"- {request.campaign.title}: {request.force.name} ({what})"
