"""Who may see what: the role matrix over every endpoint of the API, the admin and the dashboard.

Two campaigns, alpha and beta, each sent to Kent and Essex with a parsed response, a review
decision, figures, and a vocabulary term of its own with an alias and a keyword rule; each emailed
its request to Kent, and Kent's reply was matched to it. One more reply matched no request: it
belongs to no campaign, and waits for a researcher to file it. The people:

    owner        Olive, researcher group, owns alpha
    researcher   Rex, researcher group, alpha's researcher
    reader       Rea, reader group, alpha's reader
    other        Otto, researcher group, owns beta (a member of another campaign)
    outsider     Ursula, researcher group, member of nothing
    superuser    Sue, member of nothing
    anonymous

All but the anonymous visitor are staff. The unmatched reply is seen and filed by the members of
the researcher group (and superusers), not by readers (see requests_app.access). Every endpoint
is listed from the running project (the URL resolver, the admin registry), so a new one fails
here until someone states who may use it.
Each status is exact; each list holds exactly what the user may see, worked out here from the
campaigns each person belongs to, never through the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.db import models, transaction
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from aggregation import demo
from aggregation import services as document_services
from aggregation.models import (
    Abbreviation,
    Alias,
    Dimension,
    KeywordRule,
    LabelMapping,
    Observation,
    ReviewAction,
    Term,
)
from aggregation.rollups import campaign_rollup
from requests_app import access, mail, replies, services
from requests_app.access import CampaignScopedQuerySet, Role
from requests_app.admin_base import CampaignScopedAdmin
from requests_app.api import CampaignScopedViewSetMixin
from requests_app.models import (
    Campaign,
    CampaignMember,
    Document,
    FOIRequest,
    Force,
    OutgoingEmail,
    Reply,
    RequestEvent,
    UnmatchedReply,
)
from tests.endpoints import (
    API_WRITES,
    PROJECT_APPS,
    Route,
    add_correction,
    add_entered_figure,
    api_routes,
    call_api,
    custom_admin_views,
    project_admins,
    signed_in,
    snapshot,
    spreadsheet,
    token_client,
)
from tests.factories import add_member, make_campaign

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]
PERSONAS = ["owner", "researcher", "reader", "other", "outsider", "superuser", "anonymous"]
SEES = {
    "owner": {"alpha"},
    "researcher": {"alpha"},
    "reader": {"alpha"},
    "other": {"beta"},
    "outsider": set(),
    "superuser": {"alpha", "beta"},
    "anonymous": set(),
}
WRITES = {**{p: set() for p in PERSONAS}, "owner": {"alpha"}, "researcher": {"alpha"}}
WRITES |= {"other": {"beta"}, "superuser": {"alpha", "beta"}}
IN_RESEARCHER_GROUP = {"owner", "researcher", "other", "outsider", "superuser"}


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


# The world.


@dataclass
class Side:
    """One campaign and one row of each model it owns."""

    campaign: Campaign
    request: FOIRequest
    event: RequestEvent
    document: Document
    observation: Observation
    review: ReviewAction
    dimension: Dimension
    term: Term
    alias: Alias
    mapping: LabelMapping
    rule: KeywordRule
    abbreviation: Abbreviation
    email: OutgoingEmail  # the request letter, emailed to Kent
    reply: Reply  # Kent's acknowledgement, matched by its reply address, its event on offer

    def of(self, model: type[models.Model]) -> models.Model:
        rows = {type(v): v for v in vars(self).values()}
        return rows[model]

    @property
    def markers(self) -> list[str]:
        """Text that shows a page holds something of this campaign."""
        return [self.campaign.title, self.document.original_name, self.term.name]


@dataclass
class World:
    users: dict[str, User | None]
    alpha: Side
    beta: Side
    unmatched: Reply  # reaches no campaign

    @property
    def markers(self) -> list[str]:
        """Text that shows a page holds the unmatched reply."""
        return [self.unmatched.subject]

    # What the API's write payloads use (tests.endpoints.API_WRITES): alpha's.
    @property
    def request(self) -> FOIRequest:
        return self.alpha.request

    @property
    def term(self) -> Term:
        return self.alpha.term

    def side(self, slug: str) -> Side:
        return {"alpha": self.alpha, "beta": self.beta}[slug]

    def row(self, model: type[models.Model]) -> models.Model:
        """The row of the model whose pages are tried: alpha's, or the one reaching no
        campaign where the model holds only such rows (unmatched replies)."""
        return self.unmatched if model is UnmatchedReply else self.alpha.of(model)


def person(username: str, group: str | None = None, *, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username, f"{username}@example.org", "pw-long-enough-123", is_staff=True
    )
    user.is_superuser = superuser
    user.save()
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def received(*, sender: str, to: str, subject: str, text: str, message_id: str) -> Reply:
    headers = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
    headers += f"Date: Wed, 06 Mar 2024 10:30:00 +0000\r\nMessage-ID: {message_id}\r\n"
    return replies.reply_receive(raw=f"{headers}\r\n{text}\r\n".encode(), source="test")[0]


def build(slug: str, owner: User) -> Side:
    """A campaign emailed to Kent (whose address is confirmed) and recorded as sent to Essex
    on 1 March 2024, then Kent's answers: an acknowledgement by email, a spreadsheet."""
    campaign = make_campaign(owner, slug=slug, forces=["kent", "essex"], periods=PERIODS)
    with time_machine.travel(date(2024, 3, 1), tick=False):
        mail.campaign_send(campaign=campaign, by=owner)
    services.campaign_record_sent(campaign=campaign, by=owner, on=date(2024, 3, 1))
    # A target not sent yet, so that sending again has something to do.
    campaign.target_forces.add(Force.objects.get(slug="surrey"))
    request = campaign.requests.get(force__slug="kent")
    reply = received(
        sender="foi@kent.police.uk",
        to=mail.reply_address(request.reply_token),
        subject=f"RE: Freedom of Information request: {campaign.title}",
        text="We have received your request.",
        message_id=f"<{slug}-ack@kent.police.uk>",
    )
    assert reply.request == request and reply.offer_state == "open"
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures(slug, PERIODS))
    document, _ = document_services.document_upload(
        request=request, name=f"{slug}-kent.xlsx", content=content, by=owner
    )
    document.refresh_from_db()
    assert document.status == "parsed"
    document_services.document_choose_reading(document=document, count_breakdown=False, by=owner)
    add_correction(document)
    add_entered_figure(document)
    offence = campaign.dimensions.get(name="offence")
    term = Term.objects.create(dimension=offence, name=f"{slug.title()} term")
    campaign_rollup(campaign)
    return Side(
        campaign=campaign,
        request=request,
        event=request.events.get(kind="sent"),
        document=document,
        observation=document.observations.first(),
        review=document.reviews.get(),
        dimension=offence,
        term=term,
        alias=Alias.objects.create(term=term, alias=f"{slug} spelling"),
        mapping=LabelMapping.objects.create(
            campaign=campaign, dimension="offence", label=f"{slug} aside", key=f"{slug} aside"
        ),
        rule=KeywordRule.objects.create(term=term, all_of=f"{slug}, breach"),
        abbreviation=campaign.abbreviations.first(),
        email=request.emails.get(status="sent"),
        reply=reply,
    )


@pytest.fixture
def world(db) -> World:
    users = {
        "owner": person("olive", "researcher"),
        "researcher": person("rex", "researcher"),
        "reader": person("rea", "reader"),
        "other": person("otto", "researcher"),
        "outsider": person("ursula", "researcher"),
        "superuser": person("sue", superuser=True),
        "anonymous": None,
    }
    mail.force_confirm_email(force=Force.objects.get(slug="kent"), by=None)
    alpha = build("alpha", users["owner"])
    add_member(alpha.campaign, users["researcher"], Role.RESEARCHER)
    add_member(alpha.campaign, users["reader"], Role.READER)
    beta = build("beta", users["other"])
    unmatched = received(
        sender="someone@example.org",
        to="foi@localhost",
        subject="Misdirected: about another matter",
        text="Please see the attached.",
        message_id="<lost@example.org>",
    )
    assert unmatched.request is None
    return World(users=users, alpha=alpha, beta=beta, unmatched=unmatched)


def campaign_of(obj: models.Model) -> Campaign | None:
    """Walk the declared path attribute by attribute (not through the querysets under test)."""
    current = obj
    for part in type(obj).campaign_lookup.split("__"):
        if part == "pk":
            break
        current = getattr(current, part)
        if current is None:
            return None
    return current


def sees(persona: str, obj: models.Model) -> bool:
    """Whether the persona may see the row: one of their campaigns', or one reaching no
    campaign (an unmatched reply) when they are in the researcher group."""
    if persona == "anonymous":
        return False
    campaign = campaign_of(obj)
    if campaign is None:
        return persona in IN_RESEARCHER_GROUP
    return campaign.slug in SEES[persona]


def expected_rows(model: type[models.Model], persona: str) -> set[int]:
    """The rows of a campaign-owned model the persona may see."""
    return {obj.pk for obj in model._default_manager.all() if sees(persona, obj)}


def attempted(call):
    """Make a request inside a savepoint: the response, and whether it wrote anything.

    Everything is rolled back afterwards, so one world serves every request of a test.
    """
    with transaction.atomic():
        before = snapshot()
        response = call()
        wrote = snapshot() != before
        transaction.set_rollback(True)
    return response, wrote


def attempt(call) -> tuple[int, bool]:
    """The status of a request made with ``attempted``, and whether it wrote anything."""
    response, wrote = attempted(call)
    return response.status_code, wrote


def not_leaking(persona: str, world: World, body: str) -> list[str]:
    """Markers of campaigns (and of the unmatched reply) the persona may not see in a page."""
    hidden = {"alpha", "beta"} - SEES[persona]
    markers = [m for slug in hidden for m in world.side(slug).markers]
    if not sees(persona, world.unmatched):
        markers += world.markers
    return [m for m in markers if m in body]


# The mechanism is declared once per model and used everywhere.


def project_models():
    return [
        m
        for label in PROJECT_APPS
        for m in apps.get_app_config(label).get_models()
        if not m.__name__.startswith("Historical")
    ]


def reaches_campaign(model, depth: int = 4) -> bool:
    if model is Campaign:
        return True
    if depth == 0:
        return False
    forward = [f for f in model._meta.get_fields() if f.concrete and f.is_relation]
    return any(
        (f.many_to_one or f.one_to_one) and reaches_campaign(f.related_model, depth - 1)
        for f in forward
    )


def test_every_model_that_belongs_to_a_campaign_declares_its_path_and_is_scoped():
    owned = [m for m in project_models() if reaches_campaign(m)]
    assert {m.__name__ for m in owned} >= {
        "Campaign", "CampaignMember", "FOIRequest", "RequestEvent", "Document",
        "DocumentDownload", "Observation", "ReviewAction", "CampaignRollup", "Term", "Alias",
        "KeywordRule", "Dimension", "Abbreviation", "DocumentFigure", "OutgoingEmail", "Reply",
        "UnmatchedReply",
    }  # fmt: skip
    for model in owned:
        assert access.is_campaign_owned(model), f"{model.__name__}: declare campaign_lookup"
        access.campaign_path(model)  # resolves to Campaign, or raises
        assert isinstance(model._default_manager.all(), CampaignScopedQuerySet), model
    assert not access.is_campaign_owned(Force)


def test_no_campaign_owned_row_is_shared_between_campaigns(world):
    # Each campaign holds its own copy of its template's vocabulary. Only a reply may reach no
    # campaign: one no rule matched to a request arrives unfiled (the mailbox is the product's,
    # not a campaign's), and UnmatchedReply is the proxy listing just those. Nothing else has a
    # nullable link on its way to its campaign.
    owned = [m for m in project_models() if access.is_campaign_owned(m)]
    shared = {m.__name__ for m in owned if access.campaign_path(m)[1]}
    assert shared == {"Reply", "UnmatchedReply"}
    assert UnmatchedReply._meta.proxy and UnmatchedReply._meta.concrete_model is Reply
    unfiled = {r.pk for r in Reply.objects.all() if campaign_of(r) is None}
    assert unfiled == set(UnmatchedReply.objects.values_list("pk", flat=True))
    assert unfiled == {world.unmatched.pk}


def test_every_admin_of_a_campaign_owned_model_is_scoped():
    for model, model_admin in project_admins():
        if access.is_campaign_owned(model):
            assert isinstance(model_admin, CampaignScopedAdmin), model


def test_every_api_view_over_a_campaign_owned_model_is_scoped():
    from django.urls import get_resolver

    from tests.endpoints import _walk

    for pattern, url in _walk(get_resolver().url_patterns):
        cls = getattr(url.callback, "cls", None)
        queryset = getattr(cls, "queryset", None)
        owned = queryset is not None and access.is_campaign_owned(queryset.model)
        if pattern.startswith("api/") and owned:
            assert issubclass(cls, CampaignScopedViewSetMixin), pattern


# The API.

API_ROUTES = [r for r in api_routes() if r.name != "schema"]  # the schema holds no records
SAFE = ("GET", "HEAD")


def api_url(route: Route, w: World) -> str:
    a = w.alpha
    values = {
        ("reply", "pk"): a.reply.pk,
        ("reply-file", "pk"): w.unmatched.pk,  # only an unmatched reply is filed
        ("force", "slug"): "kent",
        ("campaign", "slug"): a.campaign.slug,
        ("rollup", "slug"): a.campaign.slug,
        ("review", "slug"): a.campaign.slug,
        ("foirequest", "pk"): a.request.pk,
        ("requestevent", "pk"): a.event.pk,
        ("document", "pk"): a.document.pk,
        ("document", "request_id"): a.request.pk,
    }
    basename = route.name.split("-")[0]
    kwargs = {p: values.get((route.name, p), values.get((basename, p))) for p in route.params}
    return reverse(route.name, kwargs=kwargs)


def expected_api_read(route: Route, persona: str) -> int:
    if persona == "anonymous":
        return 403
    if not route.params or route.name.startswith("force-"):
        return 200  # lists (filtered), and forces: reference data every signed-in user reads
    return 200 if "alpha" in SEES[persona] else 404


def expected_api_write(route: Route, persona: str) -> int:
    if persona not in IN_RESEARCHER_GROUP:
        return 403  # anonymous, or not allowed to write anything at all
    if route.name == "campaign-list":
        return 201  # the researcher group creates campaigns, and owns them
    if "alpha" not in SEES[persona]:
        # An id in the body reads as one that does not exist; in the path, as a 404. (Filing:
        # the unmatched reply in the path is every researcher's; alpha's request in the body.)
        return 400 if route.name in ("requestevent-list", "reply-file") else 404
    (done,) = {status for (name, _), (_, status) in API_WRITES.items() if name == route.name}
    return done


def test_every_api_write_is_in_the_table():
    offered = {(r.name, m) for r in API_ROUTES for m in r.methods if m not in SAFE}
    assert offered == set(API_WRITES)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_reads_answer_each_role_exactly(persona, world):
    client = token_client(world.users[persona])
    got, expected, leaks = {}, {}, {}
    for route in API_ROUTES:
        for method in route.methods:
            if method not in SAFE:
                continue
            response = client.generic(method, api_url(route, world))
            got[route.name, method] = response.status_code
            expected[route.name, method] = expected_api_read(route, persona)
            if method == "GET" and not_leaking(persona, world, response.content.decode()):
                leaks[route.name] = not_leaking(persona, world, response.content.decode())
    assert got == expected
    assert leaks == {}


def ids(response, key: str = "id") -> set:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {row[key] for row in rows}


# Every list the API offers, and what it must hold for each person.
API_LISTS = {
    "campaign-list": ("slug", lambda p, w: {s for s in SEES[p]}),
    "foirequest-list": ("id", lambda p, w: expected_rows(FOIRequest, p)),
    "requestevent-list": ("id", lambda p, w: expected_rows(RequestEvent, p)),
    "document-list": ("id", lambda p, w: expected_rows(Document, p)),
    "reply-list": ("id", lambda p, w: expected_rows(Reply, p)),
    "rollup-list": ("campaign", lambda p, w: {s for s in SEES[p]}),
    "force-list": ("slug", lambda p, w: set(Force.objects.values_list("slug", flat=True))),
}


def test_every_api_list_is_checked_for_its_contents():
    lists = {r.name for r in API_ROUTES if r.name.endswith("-list") and "GET" in r.methods}
    assert lists == set(API_LISTS)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_api_lists_hold_only_the_campaigns_the_user_belongs_to(persona, world):
    client = token_client(world.users[persona])
    for name, (key, expected) in API_LISTS.items():
        response = client.get(reverse(name))
        assert ids(response, key) == expected(persona, world), name
    # Filtering by another campaign's slug finds nothing, as for a slug that does not exist.
    assert ids(client.get("/api/requests/?campaign=beta")) == expected_rows(
        FOIRequest, persona
    ) & set(world.beta.campaign.requests.values_list("pk", flat=True))
    # The document's own lists: its observations and its review decisions.
    if "alpha" in SEES[persona]:
        doc = world.alpha.document.pk
        observations = client.get(f"/api/documents/{doc}/observations/").json()
        assert observations["count"] == world.alpha.document.observations.count()
        reviews = client.get(f"/api/documents/{doc}/reviews/").json()["results"]
        assert [r["kind"] for r in reviews] == ["choose_reading"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_writes_answer_each_role_exactly_and_a_refusal_writes_nothing(persona, world):
    client = token_client(world.users[persona])
    got, expected = {}, {}
    for route in API_ROUTES:
        for method in route.methods:
            if method in SAFE:
                continue
            url = api_url(route, world)
            status, wrote = attempt(
                lambda route=route, method=method, url=url: call_api(
                    client, route, method, url, world
                )
            )
            got[route.name, method] = (status, wrote)
            status = expected_api_write(route, persona)
            expected[route.name, method] = (status, status == API_WRITES[route.name, method][1])
    assert got == expected


def test_an_event_on_another_campaigns_request_is_refused_as_if_it_did_not_exist(world):
    pk = world.alpha.request.pk
    payload = {"request": pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    response = token_client(world.users["outsider"]).post("/api/events/", payload, format="json")
    assert response.status_code == 400
    assert response.json() == {"request": [f'Invalid pk "{pk}" - object does not exist.']}
    assert not world.alpha.request.events.filter(kind="acknowledged").exists()


def test_a_researcher_group_member_with_the_reader_role_reads_and_cannot_write(world):
    rae = person("rae", "researcher")
    add_member(world.alpha.campaign, rae, Role.READER)
    client = token_client(rae)
    doc = world.alpha.document
    assert client.get(f"/api/documents/{doc.pk}/").status_code == 200
    before = snapshot()
    assert client.post(f"/api/documents/{doc.pk}/approve/").status_code == 403
    assert client.patch("/api/campaigns/alpha/", {"title": "X"}, format="json").status_code == 403
    upload = client.post(
        f"/api/documents/upload/{world.alpha.request.pk}/",
        {"file": [spreadsheet()]},
        format="multipart",
    )
    assert upload.status_code == 403
    event = {"request": world.alpha.request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    assert client.post("/api/events/", event, format="json").status_code == 403
    assert snapshot() == before
    # Nor in the admin: the page is read-only, and the original file is not theirs to take.
    admin_client = signed_in(rae)
    change = reverse("admin:requests_app_document_change", args=[doc.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {}).status_code == 403
    assert admin_client.get(reverse("admin:document_file", args=[doc.pk])).status_code == 404
    assert snapshot() == before


def test_forces_and_exemptions_are_reference_data_every_signed_in_user_reads(world):
    for persona in ("reader", "outsider", "other"):
        user = world.users[persona]
        assert token_client(user).get("/api/forces/").json()["count"] == 46
        page = signed_in(user).get(reverse("admin:requests_app_force_changelist"))
        assert page.context["cl"].result_count == 46
        page = signed_in(user).get(reverse("admin:requests_app_exemption_changelist"))
        assert page.status_code == 200 and page.context["cl"].result_count >= 10


# The admin.

SCOPED_ADMINS = sorted(
    ((m, a) for m, a in project_admins() if access.is_campaign_owned(m)),
    key=lambda pair: pair[0]._meta.label,
)
# What each admin allows at all, before any campaign is considered.
ADDABLE = {"campaign", "term", "alias", "keywordrule", "abbreviation"}  # the rest: services
CHANGEABLE = {"campaign", "foirequest", "document", "term", "alias", "keywordrule"}
CHANGEABLE |= {"dimension", "abbreviation", "reply"}
# Every field shown read-only (a reply changes only through its buttons): saving changes nothing.
NOTHING_TO_EDIT = {"reply"}
# The one page of an unmatched reply is the reply's own: it redirects there.
REDIRECTS_TO_REPLY = {"unmatchedreply"}
RESEARCHERS_DELETE = {"term", "alias", "keywordrule", "abbreviation"}  # vocabulary fixes
# The record of what happened (events, decisions, emails either way), and a campaign's
# dimensions (its question is its template's).
NOBODY_DELETES = {"requestevent", "reviewaction", "dimension", "outgoingemail", "reply"}
NOBODY_DELETES |= {"unmatchedreply", "labelmapping"}  # mappings: remade from the review queue


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def expected_admin(persona: str, model, page: str, row: models.Model) -> int:
    """The status of an admin page about a row of the model (or the model's list)."""
    name = model._meta.model_name
    if persona == "anonymous":
        return 302
    sees_row = sees(persona, row)
    group_writes = persona in IN_RESEARCHER_GROUP  # Django permissions come with the group
    match page:
        case "changelist":
            return 200
        case "add":
            return 200 if name in ADDABLE and group_writes else 403
        case "change" | "change-post" if name in REDIRECTS_TO_REPLY:
            return 302 if sees_row else 404
        case "change" | "history" | "version":
            return 200 if sees_row else 404
        case "change-post":
            if name not in CHANGEABLE or not group_writes:
                return 403
            if not sees_row:
                return 404
            # The empty form shown again with its errors, or saved when it has nothing to edit.
            return 302 if name in NOTHING_TO_EDIT else 200
        case "delete":
            if name in NOBODY_DELETES:
                return 403
            if persona != "superuser" and name not in RESEARCHERS_DELETE:
                return 403
            if not group_writes:
                return 403
            return 200 if sees_row else 404
    raise AssertionError(page)


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_pages_answer_each_role_exactly_and_show_only_their_campaigns(persona, world):
    client = signed_in(world.users[persona])
    got, expected, lists, leaks = {}, {}, {}, {}
    for model, model_admin in SCOPED_ADMINS:
        name = model._meta.model_name
        obj = world.row(model)
        reply_page = admin_url(Reply, "change", obj.pk)
        pages = {
            "changelist": admin_url(model, "changelist"),
            "add": admin_url(model, "add"),
            "change": admin_url(model, "change", obj.pk),
            "history": admin_url(model, "history", obj.pk),
            "delete": admin_url(model, "delete", obj.pk),
        }
        if isinstance(model_admin, SimpleHistoryAdmin):
            version = obj.history.order_by("-history_id").first().history_id
            pages["version"] = admin_url(model, "simple_history", obj.pk, version)
        for page, url in pages.items():
            response = client.get(url)
            got[name, page] = response.status_code
            if response.status_code == 302:
                redirect = "/admin/login/" if persona == "anonymous" else reply_page
                assert response["Location"].startswith(redirect), url
            expected[name, page] = expected_admin(persona, model, page, obj)
            if response.status_code == 200:
                found = not_leaking(persona, world, response.content.decode())
                if found:
                    leaks[name, page] = found
            if page == "changelist" and response.status_code == 200:
                lists[name] = set(response.context["cl"].queryset.values_list("pk", flat=True))
        status, wrote = attempt(lambda url=pages["change"]: client.post(url, {}))
        got[name, "change-post"] = (status, wrote)
        expected[name, "change-post"] = (expected_admin(persona, model, "change-post", obj), False)
    assert got == expected
    assert leaks == {}
    if persona != "anonymous":
        assert lists == {m._meta.model_name: expected_rows(m, persona) for m, _ in SCOPED_ADMINS}


def test_a_page_of_another_campaigns_row_answers_404_like_a_row_that_does_not_exist(world):
    client = signed_in(world.users["owner"])
    for model, _ in SCOPED_ADMINS:
        # Unmatched replies belong to no campaign: beta's reply is tried where they are listed.
        row = world.beta.of(model._meta.concrete_model)
        for view in ("change", "history", "delete"):
            theirs = client.get(admin_url(model, view, row.pk))
            missing = client.get(admin_url(model, view, 999999))
            assert (theirs.status_code, missing.status_code) in {(404, 404), (403, 403)}, (
                model,
                view,
            )


def test_every_custom_admin_view_is_in_the_matrix():
    assert custom_admin_views() == {"document_review", *CUSTOM_VIEWS}
    assert {view for view, *_ in WRITING_VIEWS.values()} <= set(CUSTOM_VIEWS)


CUSTOM_VIEWS = {
    "document_file": lambda w: reverse("admin:document_file", args=[w.alpha.document.pk]),
    "dashboard": lambda w: reverse("dashboard", args=["alpha"]),
    "dashboard-sources": lambda w: reverse("dashboard-sources", args=["alpha"]),
    "dashboard-export-xlsx": lambda w: reverse("dashboard-export-xlsx", args=["alpha"]),
    "dashboard-export-csv": lambda w: reverse("dashboard-export-csv", args=["alpha"]),
    "campaign_send": lambda w: reverse("admin:campaign_send", args=[w.alpha.campaign.pk]),
    "reply_action": lambda w: reverse("admin:reply_action", args=[w.alpha.reply.pk, "record"]),
    "reply_fetch": lambda w: reverse("admin:reply_fetch"),
    "review-queue": lambda w: reverse("review-queue", args=["alpha"]),
    "document-grid": lambda w: reverse("document-grid", args=[w.alpha.document.pk]),
    "request-readings": lambda w: reverse("request-readings", args=[w.alpha.request.pk]),
}
# Views that act only on POST: a GET goes back to the page it came from, having done nothing.
GOES_BACK = {
    "reply_action": lambda w: admin_url(Reply, "change", w.alpha.reply.pk),
    "reply_fetch": lambda w: admin_url(Reply, "changelist"),
}


def expected_custom(persona: str, view: str) -> int:
    if persona == "anonymous":
        return 302
    if view == "document_file":
        return 200 if "alpha" in WRITES[persona] else 404  # readers too get 404
    if view == "reply_fetch":
        return 302  # the mailbox is the product's, in no campaign
    if view in GOES_BACK:
        return 302 if "alpha" in SEES[persona] else 404
    return 200 if "alpha" in SEES[persona] else 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_dashboard_file_and_review_views_answer_each_role_exactly(persona, world):
    user = world.users[persona]
    client = signed_in(user)
    got, wrote = {}, {}
    for view, url in CUSTOM_VIEWS.items():
        if view == "document_file":  # the download it records is checked below
            response = client.get(url(world))
        else:
            response, wrote[view] = attempted(lambda url=url: client.get(url(world)))
        got[view] = response.status_code
        if response.status_code == 302:
            back = GOES_BACK[view](world) if persona != "anonymous" else "/admin/login/"
            assert response["Location"].startswith(back), view
        if view == "dashboard-sources" and response.status_code == 200:
            file_links = response.content.decode().count("/file/")
            assert (file_links > 0) == ("alpha" in WRITES[persona])
        if view in {"dashboard", "dashboard-sources"} and response.status_code == 200:
            assert not_leaking(persona, world, response.content.decode()) == []
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            page = response.content.decode()  # the admin's own frame, named for the product
            assert "foitrack" in page and "Django administration" not in page, view
    assert got == {view: expected_custom(persona, view) for view in CUSTOM_VIEWS}
    assert not any(wrote.values()), wrote  # a GET changes nothing
    downloads = world.alpha.document.downloads.values_list("by__username", flat=True)
    assert list(downloads) == ([user.username] if "alpha" in WRITES[persona] else [])

    # A review decision: done by the writers, refused to the reader (the page says so), and
    # another campaign's document does not exist.
    url = reverse("admin:document_review", args=[world.alpha.document.pk, "pin"])
    status, wrote = attempt(lambda: client.post(url))
    assert status == (302 if persona == "anonymous" or "alpha" in SEES[persona] else 404)
    assert wrote == ("alpha" in WRITES[persona])


# The custom admin views that write, each posted to once: its view, URL and data.
WRITING_VIEWS = {
    "send alpha": (
        "campaign_send",
        lambda w: reverse("admin:campaign_send", args=[w.alpha.campaign.pk]),
        lambda w: {},
    ),
    "record alpha's offer": (
        "reply_action",
        lambda w: reverse("admin:reply_action", args=[w.alpha.reply.pk, "record"]),
        lambda w: {},
    ),
    "file the unmatched reply on alpha's request": (
        "reply_action",
        lambda w: reverse("admin:reply_action", args=[w.unmatched.pk, "file"]),
        lambda w: {"request": w.alpha.request.pk},
    ),
    "fetch replies": ("reply_fetch", lambda w: reverse("admin:reply_fetch"), None),
    "map a label for alpha": (
        "review-queue",
        lambda w: reverse("review-queue", args=["alpha"]),
        lambda w: {"dimension": "offence", "label": "Odd spelling", "to": w.alpha.term.name},
    ),
    "correct alpha's document": (
        "document-grid",
        lambda w: reverse("document-grid", args=[w.alpha.document.pk]),
        lambda w: {
            "sheet": w.alpha.document.result["sheets"][0],
            "kind": "not_data",
            "row": "500",
        },
    ),
    "choose alpha's file": (
        "request-readings",
        lambda w: reverse("request-readings", args=[w.alpha.request.pk]),
        lambda w: {"document": w.alpha.document.pk},
    ),
}


def expected_post(persona: str, case: str, world: World) -> tuple[int, bool, str]:
    """(status, whether it wrote, part of the message shown on the page it goes back to)."""
    if persona == "anonymous":
        return 302, False, ""
    writes = "alpha" in WRITES[persona]
    match case:
        case "send alpha":
            if "alpha" not in SEES[persona]:
                return 404, False, ""
            # Surrey is added to alpha but its address is not confirmed: its request is made.
            return (302, True, "queued to be emailed") if writes else (403, False, "")
        case "record alpha's offer":
            if "alpha" not in SEES[persona]:
                return 404, False, ""
            return (
                (302, True, "Recorded on the timeline") if writes else (302, False, "Not allowed")
            )
        case "file the unmatched reply on alpha's request":
            if not sees(persona, world.unmatched):
                return 404, False, ""  # the reader
            # A researcher of no campaign of alpha's sees the reply, and alpha's request is no
            # choice of theirs.
            return (302, True, "Filed on") if writes else (302, False, "Select a valid choice")
        case "map a label for alpha" | "correct alpha's document" | "choose alpha's file":
            if "alpha" not in SEES[persona]:
                return 404, False, ""
            said = {"map": "now reads as", "correct": "Kept:", "choose": "now counts for"}[
                case.split()[0]
            ]
            return (302, True, said) if writes else (403, False, "")
        case "fetch replies":
            # Every researcher may fetch the shared mailbox; here none is set up.
            if persona in IN_RESEARCHER_GROUP:
                return 302, False, "Could not fetch replies"
            return 302, False, "Not allowed"
    raise AssertionError(case)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_writing_admin_views_answer_each_role_exactly(persona, world, settings):
    settings.IMAP_URL = ""
    client = signed_in(world.users[persona])
    got, expected = {}, {}
    for case, (_, url, data) in WRITING_VIEWS.items():
        response, wrote = attempted(
            lambda url=url, data=data: client.post(url(world), data(world) if data else {})
        )
        shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
        status, should_write, message = expected_post(persona, case, world)
        got[case] = (response.status_code, wrote, message in shown)
        expected[case] = (status, should_write, True)
        if persona == "anonymous":
            assert response["Location"].startswith("/admin/login/"), case
    assert got == expected


# The project's own admin actions, on alpha's rows: they run only for alpha's writers; on
# forces (reference data), for every member of the researcher group.
ADMIN_ACTIONS = {
    ("requests_app.campaign", "send_campaigns"): lambda w: w.alpha.campaign.pk,
    ("requests_app.foirequest", "acknowledge_today"): lambda w: w.alpha.request.pk,
    ("requests_app.foirequest", "resend_today"): lambda w: w.alpha.request.pk,
    ("requests_app.document", "reparse"): lambda w: w.alpha.document.pk,
    ("requests_app.document", "approve"): lambda w: w.alpha.document.pk,
    # An address not confirmed yet (alpha's new target, not sent).
    ("requests_app.force", "confirm_foi_email"): lambda w: Force.objects.get(slug="surrey").pk,
}


def action_writes(model_label: str, persona: str) -> bool:
    if access.is_campaign_owned(apps.get_model(model_label)):
        return "alpha" in WRITES[persona]
    return persona in IN_RESEARCHER_GROUP  # reference data: the group's permission decides


def test_every_admin_action_is_in_the_matrix():
    found = {
        (model._meta.label_lower, action if isinstance(action, str) else action.__name__)
        for model, model_admin in project_admins()
        for action in model_admin.actions or ()
    }
    assert found == set(ADMIN_ACTIONS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_actions_run_only_on_rows_the_user_may_change(persona, world):
    client = signed_in(world.users[persona])
    wrote = {}
    for (model, action), pk in ADMIN_ACTIONS.items():
        app_label, model_name = model.split(".")
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
        with transaction.atomic():
            before = snapshot()
            response = client.post(url, {"action": action, "_selected_action": [pk(world)]})
            wrote[action] = snapshot() != before
            transaction.set_rollback(True)
        # Staff without the change permission are offered no action: the list is shown again.
        assert response.status_code == (200 if persona == "reader" else 302), action
    assert wrote == {action: action_writes(model, persona) for model, action in ADMIN_ACTIONS}


def test_an_admin_action_skips_selected_rows_the_user_may_only_read(world):
    # In the researcher group, so offered the actions; a reader of alpha, an owner of their own.
    rae = person("rae", "researcher")
    add_member(world.alpha.campaign, rae, Role.READER)
    own = build("gamma", rae)
    url = reverse("admin:requests_app_foirequest_changelist")
    selected = [world.alpha.request.pk, own.request.pk]
    response = signed_in(rae).post(
        url, {"action": "acknowledge_today", "_selected_action": selected}
    )
    assert response.status_code == 302
    assert own.request.events.filter(kind="acknowledged").exists()
    assert not world.alpha.request.events.filter(kind="acknowledged").exists()


# Autocomplete: every campaign-owned model an admin offers to autocomplete, from a field that
# points to it.
AUTOCOMPLETE = {
    Campaign: ("requests_app", "foirequest", "campaign"),
    FOIRequest: ("requests_app", "document", "request"),
    Document: ("aggregation", "observation", "document"),
    Term: ("aggregation", "alias", "term"),
}


def test_every_autocomplete_target_is_in_the_matrix():
    searchable = {m for m, a in SCOPED_ADMINS if a.search_fields}
    never_pointed_to = {Observation, Alias, Dimension, Abbreviation, LabelMapping}
    emails = {OutgoingEmail, Reply, UnmatchedReply}
    never_pointed_to |= emails
    # No field points to an email either way, so the autocomplete view never lists them.
    pointed_to = {
        f.related_model
        for m in project_models()
        for f in m._meta.get_fields()
        if f.concrete and f.is_relation and f.model is m
    }
    assert not emails & pointed_to
    assert searchable == set(AUTOCOMPLETE) | never_pointed_to


@pytest.mark.parametrize("persona", PERSONAS)
def test_autocomplete_offers_only_what_the_user_may_see(persona, world):
    client = signed_in(world.users[persona])
    for model, (app_label, model_name, field) in AUTOCOMPLETE.items():
        query = {"app_label": app_label, "model_name": model_name, "field_name": field, "term": ""}
        response = client.get(reverse("admin:autocomplete"), query)
        if persona == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/admin/login/")
            continue
        assert response.status_code == 200, model
        body = response.json()
        assert body["pagination"]["more"] is False
        assert {int(r["id"]) for r in body["results"]} == expected_rows(model, persona), model


# Membership: the owner manages it; each role does what it says.


def test_the_owner_adds_a_reader_on_the_campaign_page_who_then_sees_the_campaign(world):
    newcomer = person("nia", "reader")
    page = reverse("admin:requests_app_campaign_change", args=[world.alpha.campaign.pk])
    assert signed_in(newcomer).get(page).status_code == 404
    client = signed_in(world.users["owner"])
    form = client.get(page).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data |= {
        "periods": ", ".join(world.alpha.campaign.periods),
        "target_forces": [f.pk for f in world.alpha.campaign.target_forces.all()],
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "2",
    }
    for i, member in enumerate(world.alpha.campaign.members.order_by("role", "user__username")):
        data |= {
            f"members-{i}-id": member.pk,
            f"members-{i}-campaign": world.alpha.campaign.pk,
            f"members-{i}-user": member.user_id,
            f"members-{i}-role": member.role,
        }
    data |= {"members-2-user": newcomer.pk, "members-2-role": "reader"}
    response = client.post(page, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert world.alpha.campaign.members.get(user=newcomer).role == Role.READER
    assert signed_in(newcomer).get(page).status_code == 200
    record = CampaignMember.history.get(user=newcomer)
    assert record.history_user == world.users["owner"]


def test_only_the_owner_or_a_superuser_manages_members(world):
    from django.core.exceptions import PermissionDenied

    newcomer = person("nia", "reader")
    with pytest.raises(PermissionDenied):
        services.campaign_member_set(
            campaign=world.alpha.campaign,
            user=newcomer,
            role=Role.READER,
            by=world.users["researcher"],
        )
    # On the page, a researcher sees the members and cannot change them.
    page = reverse("admin:requests_app_campaign_change", args=[world.alpha.campaign.pk])
    inline = signed_in(world.users["researcher"]).get(page).context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_change_permission
    services.campaign_member_set(
        campaign=world.alpha.campaign, user=newcomer, role=Role.READER, by=world.users["superuser"]
    )
    assert world.alpha.campaign.members.filter(user=newcomer).exists()


def test_the_researcher_role_needs_the_researcher_group_and_the_owner_is_never_a_member(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as no_group:
        add_member(world.alpha.campaign, world.users["reader"], Role.RESEARCHER)
    assert "researcher group" in str(no_group.value.message_dict["role"])
    with pytest.raises(ValidationError) as owner:
        add_member(world.alpha.campaign, world.users["owner"], Role.READER)
    assert "owner" in str(owner.value.message_dict["user"])
    assert world.alpha.campaign.members.get(user=world.users["reader"]).role == Role.READER


def test_taking_a_member_off_hides_the_campaign_from_them(world):
    reader = world.users["reader"]
    client = token_client(reader)
    assert client.get("/api/campaigns/alpha/").status_code == 200
    services.campaign_member_remove(
        campaign=world.alpha.campaign, user=reader, by=world.users["owner"]
    )
    assert client.get("/api/campaigns/alpha/").status_code == 404


def test_a_campaign_created_through_the_api_is_owned_by_its_creator_and_seen_by_nobody_else(
    world,
):
    payload = {"title": "Fresh", "slug": "fresh", "request_text": "?", "periods": PERIODS}
    response = token_client(world.users["outsider"]).post("/api/campaigns/", payload, format="json")
    assert response.status_code == 201
    assert response.json()["owner"] == "ursula" and response.json()["members"] == []
    assert token_client(world.users["owner"]).get("/api/campaigns/fresh/").status_code == 404


def test_a_researcher_adding_a_campaign_in_the_admin_owns_it(world):
    client = signed_in(world.users["outsider"])
    form = client.get(admin_url(Campaign, "add")).context["adminform"].form
    assert "owner" not in form.fields  # only a superuser hands a campaign to someone else
    response = client.post(
        admin_url(Campaign, "add"),
        {
            "title": "Mine",
            "slug": "mine",
            "request_text": "?",
            "periods": "2017-18",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Campaign.objects.get(slug="mine").owner == world.users["outsider"]


# Vocabulary: every campaign holds its own, which only its researchers change.


def test_a_term_added_by_a_researcher_belongs_to_a_dimension_of_their_campaigns(world):
    client = signed_in(world.users["owner"])
    form = client.get(admin_url(Term, "add")).context["adminform"].form
    assert set(form.fields["dimension"].queryset) == set(world.alpha.campaign.dimensions.all())
    response = client.post(
        admin_url(Term, "add"),
        {
            "dimension": world.beta.dimension.pk,
            "name": "Everyone's",
            "position": "0",
            **{f"{p}-{k}": "0" for p in ("aliases", "rules")
               for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
        },
    )  # fmt: skip
    assert response.status_code == 200  # another campaign's dimension is not a choice
    assert not Term.objects.filter(name="Everyone's").exists()
    alias_form = client.get(admin_url(Alias, "add")).context["adminform"].form
    alpha_terms = set(Term.objects.filter(dimension__campaign=world.alpha.campaign))
    assert world.alpha.term in alpha_terms and world.beta.term not in alpha_terms
    assert set(alias_form.fields["term"].queryset) == alpha_terms


# Email: a reply matched to a request is its campaign's; an unmatched one is every researcher's
# to file, on a request of their own campaigns.


def test_an_unmatched_reply_is_filed_by_a_researcher_on_their_own_campaigns_only(world):
    other = token_client(world.users["other"])
    url = f"/api/replies/{world.unmatched.pk}/file/"
    on_alpha = other.post(url, {"request": world.alpha.request.pk}, format="json")
    assert on_alpha.status_code == 400 and "request" in on_alpha.json()
    # In the admin, the choice offers only the requests of campaigns they may change.
    page = signed_in(world.users["other"]).get(admin_url(Reply, "change", world.unmatched.pk))
    choices = set(page.context["file_form"].fields["request"].queryset)
    assert choices == set(world.beta.campaign.requests.all())
    on_beta = other.post(url, {"request": world.beta.request.pk}, format="json")
    assert on_beta.status_code == 200 and on_beta.json()["request"] == world.beta.request.pk
    # Filed, it is beta's: alpha's people no longer see it, and it is unmatched no more.
    assert (
        token_client(world.users["owner"]).get(f"/api/replies/{world.unmatched.pk}/").status_code
        == 404
    )
    assert not UnmatchedReply.objects.filter(pk=world.unmatched.pk).exists()


def test_a_reader_neither_sees_nor_files_an_unmatched_reply(world):
    client = token_client(world.users["reader"])
    assert client.get(f"/api/replies/{world.unmatched.pk}/").status_code == 404
    assert ids(client.get("/api/replies/")) == {world.alpha.reply.pk}
    page = signed_in(world.users["reader"]).get(admin_url(UnmatchedReply, "changelist"))
    assert page.status_code == 200 and page.context["cl"].result_count == 0
    assert world.unmatched.subject not in page.content.decode()
