"""Reading a received email: who sent it, its text (never HTML), its attachments, whether it is a
bounce, and what kind of answer its words look like. Pure functions over the message's bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from bs4 import BeautifulSoup

from requests_app.models import EventKind

# Headers that may name the address a message was delivered to (the reply token's address).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To")
BLOCK_TAGS = ("p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote")


@dataclass
class Attachment:
    name: str
    content_type: str
    content: bytes


@dataclass
class Bounce:
    recipients: list[str]
    diagnostic: str


@dataclass
class ParsedMail:
    message_id: str = ""
    sender: str = ""
    sender_name: str = ""
    original_sender: str = ""  # a forwarded message: who sent it first
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    text: str = ""
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To and References
    attachments: list[Attachment] = field(default_factory=list)
    bounce: Bounce | None = None


def parse(raw: bytes) -> ParsedMail:
    """Read one RFC 5322 message. Damaged headers or parts are skipped, never fatal."""
    msg = message_from_bytes(raw, policy=policy.default)
    sender_name, sender = _first_address(msg, "From")
    parsed = ParsedMail(
        message_id=_header(msg, "Message-ID")[:500],
        sender=sender,
        sender_name=sender_name[:200],
        recipients=[a for h in RECIPIENT_HEADERS for _, a in _addresses(msg, h)],
        subject=" ".join(_header(msg, "Subject").split())[:500],
        date=_date(msg),
        thread_ids=re.findall(
            r"<[^<>\s]+>", _header(msg, "In-Reply-To") + _header(msg, "References")
        ),
    )
    parsed.text, parsed.attachments, forwarded_from = _read_parts(msg)
    parsed.original_sender = forwarded_from or _forwarded_sender(parsed.text)
    parsed.bounce = _bounce(msg, parsed)
    return parsed


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""
    return str(value).strip() if value is not None else ""


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    try:
        values = msg.get_all(name) or []
        found = getaddresses([str(v) for v in values])
    except (ValueError, IndexError, TypeError):
        return []
    return [(n, a.lower()) for n, a in found if "@" in a]


def _first_address(msg: Message, name: str) -> tuple[str, str]:
    found = _addresses(msg, name)
    return found[0] if found else ("", "")


def _date(msg: Message) -> datetime | None:
    try:
        when = parsedate_to_datetime(_header(msg, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" (and a missing zone) means the zone is unknown: read it as UTC (RFC 5322 3.3).
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def html_to_text(html: str) -> str:
    """The words of an HTML body, with its line structure; scripts and styles dropped."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "noscript"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(BLOCK_TAGS):
        block.append("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.append("\t")
    return _tidy(soup.get_text())


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _content(part: Message) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return content


def _body_text(msg: EmailMessage) -> str:
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, AttributeError):
        body = None
    if body is None:
        return ""
    content = _content(body)
    return html_to_text(content) if body.get_content_subtype() == "html" else _tidy(content)


def _read_parts(msg: EmailMessage) -> tuple[str, list[Attachment], str]:
    """(text, attachments, sender of the first forwarded message), nested messages included."""
    texts = [_body_text(msg)]
    attachments: list[Attachment] = []
    forwarded_from = ""
    for part in msg.walk():
        if part is msg or (part.is_multipart() and part.get_content_type() != "message/rfc822"):
            continue
        kind = part.get_content_type()
        if kind == "message/rfc822":
            inner = part.get_payload()[0] if isinstance(part.get_payload(), list) else None
            if isinstance(inner, EmailMessage):
                name, address = _first_address(inner, "From")
                forwarded_from = forwarded_from or address
                texts.append(
                    "---------- Forwarded message ----------\n"
                    f"From: {name} <{address}>\nDate: {_header(inner, 'Date')}\n"
                    f"Subject: {_header(inner, 'Subject')}\nTo: {_header(inner, 'To')}\n\n"
                    + _body_text(inner)
                )
            continue
        if kind in ("message/delivery-status", "text/rfc822-headers"):
            continue
        filename = _filename(part)
        if part.get_content_disposition() != "attachment" and not filename:
            continue  # a body (or its alternative), not an attachment
        content = part.get_payload(decode=True) or b""
        name = filename or f"attachment-{len(attachments) + 1}"
        attachments.append(Attachment(name=name[:255], content_type=kind, content=content))
    return "\n\n".join(t for t in texts if t), attachments, forwarded_from


def _filename(part: Message) -> str:
    try:
        return (part.get_filename() or "").strip()
    except (ValueError, IndexError, TypeError):
        return ""


_FORWARD_MARKER = re.compile(
    r"^[- ]*(?:forwarded message|begin forwarded message|original message)[- :]*$",
    re.IGNORECASE | re.MULTILINE,
)
_FROM_LINE = re.compile(r"^\s*\*?From:\*?\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def _forwarded_sender(text: str) -> str:
    """The sender named in the first inline "Forwarded message" block, if any."""
    marker = _FORWARD_MARKER.search(text)
    if not marker:
        return ""
    line = _FROM_LINE.search(text, marker.end())
    if not line:
        return ""
    found = getaddresses([line.group(1)])
    return found[0][1].lower() if found and "@" in found[0][1] else ""


_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|has failed)|returned mail|"
    r"mail delivery (failed|system)|failure notice",
    re.IGNORECASE,
)


def _bounce(msg: EmailMessage, parsed: ParsedMail) -> Bounce | None:
    """A delivery failure report (RFC 3464), or a mail daemon's "undeliverable" message."""
    failed, diagnostics = [], []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
            if str(block.get("Action", "")).strip().lower() != "failed":
                continue
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            failed.append(recipient.rpartition(";")[2].strip().lower())
            diagnostics.append(" ".join(str(block.get("Diagnostic-Code", "")).split()))
    if failed:
        return Bounce(
            recipients=[r for r in failed if r], diagnostic="; ".join(d for d in diagnostics if d)
        )
    if _BOUNCE_SENDER.match(parsed.sender) and _BOUNCE_SUBJECT.search(parsed.subject):
        return Bounce(recipients=[], diagnostic=parsed.subject)
    return None


# What the words say: offered to a researcher, never recorded without a click.


@dataclass(frozen=True)
class Offer:
    kind: EventKind
    exemptions: tuple[str, ...] = ()
    ncnd: bool = False
    reference: str = ""


_QUOTE_MARKERS = re.compile(
    r"^(?:-{2,}\s*original message\s*-{2,}|on .{4,200} wrote:|_{10,})\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SECTION = re.compile(r"\b(?:section|s)\s?\.?\s?(\d{1,2})\b(?!\.\d)", re.IGNORECASE)
_REFUSING = re.compile(
    r"refus|exempt|withh[oe]ld|engaged?\b|exceeds? the (?:appropriate|cost) limit|"
    r"neither confirm nor deny|not obliged",
    re.IGNORECASE,
)
_CONDITIONAL = re.compile(r"\b(?:if|should|may|might|unless|in the event)\b", re.IGNORECASE)
_NCND = re.compile(r"neither confirm nor deny", re.IGNORECASE)
_NOT_HELD = re.compile(
    r"\b(?:(?:is|are) not held|(?:do|does) not hold|holds? no (?:recorded )?information|"
    r"no (?:recorded |relevant )?information (?:is |was )?held|information not held)\b",
    re.IGNORECASE,
)
_CLARIFY = re.compile(
    r"\b(?:please clarify|could you (?:please )?clarify|clarify (?:what|which|whether)|"
    r"(?:need|require|seek|ask for) (?:some |further )?clarification|section 1\(3\))",
    re.IGNORECASE,
)
_ACK = re.compile(
    r"\b(?:acknowledge?(?:ment|s|d)? (?:of )?(?:receipt|your)|"
    r"(?:we|i) (?:have )?received your (?:request|email)|receipt of your (?:request|email)|"
    r"your request (?:was|has been) (?:received|logged|registered))",
    re.IGNORECASE,
)
_RESPONSE = re.compile(
    r"\b(?:please find (?:attached|enclosed)|(?:is|are) attached|attached (?:is|are|please find))",
    re.IGNORECASE,
)
_REFERENCE = re.compile(
    r"\b(?:our |your |foi |request )?ref(?:erence)?(?:\s+(?:no\.?|number))?(?:\s+is)?\s*[:#]?\s*"
    r"([A-Z0-9][A-Z0-9/_.-]*\d[A-Z0-9/_.-]*)",
    re.IGNORECASE,
)


def own_words(text: str, quoted_from: re.Pattern | None = None) -> str:
    """The sender's own words: quoted lines and our quoted email below a reply marker cut off.

    ``quoted_from`` matches our reply addresses: a quoted header block sent by us ends the text.
    """
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    text = "\n".join(lines)
    cut = _QUOTE_MARKERS.search(text)
    if quoted_from is not None:
        for line in _FROM_LINE.finditer(text):
            if quoted_from.search(line.group(1)):
                cut = cut if cut and cut.start() < line.start() else line
                break
    return text[: cut.start()] if cut else text


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if s.strip()]


def find_reference(subject: str, text: str) -> str:
    """The force's reference number in the subject or the text, e.g. "FOI/2024/1042"."""
    for source in (subject, text):
        found = _REFERENCE.search(source)
        if found:
            return found.group(1).rstrip("./-_")[:100]
    return ""


def recognise(
    *, subject: str, text: str, exemption_codes: set[str], has_response_files: bool
) -> Offer | None:
    """What the reply looks like, as the timeline event a researcher may record.

    A refusal citing known exemptions (s12, s40...) outranks "not held", which outranks a
    clarification request, then a response (a spreadsheet attached, or "please find attached"),
    then an acknowledgement. Conditional sentences ("if we need clarification...", "should the
    cost exceed the limit under section 12...") are boilerplate, not answers. None: nothing
    recognised.
    """
    words = f"{subject}\n{text}"
    factual = [s for s in _sentences(words) if not _CONDITIONAL.search(s)]
    reference = find_reference(subject, text)
    cited = sorted(
        {
            f"s{n}"
            for s in factual
            if _REFUSING.search(s)
            for n in _SECTION.findall(s)
            if f"s{n}" in exemption_codes
        },
        key=lambda code: int(code[1:]),
    )
    if cited:
        return Offer(EventKind.REFUSED, tuple(cited), bool(_NCND.search(words)), reference)
    if any(_NOT_HELD.search(s) for s in factual):
        return Offer(EventKind.NOT_HELD, reference=reference)
    if any(_CLARIFY.search(s) for s in factual):
        return Offer(EventKind.CLARIFICATION_ASKED, reference=reference)
    if has_response_files or any(_RESPONSE.search(s) for s in factual):
        return Offer(EventKind.RESPONSE_RECEIVED, reference=reference)
    if _ACK.search(words):
        return Offer(EventKind.ACKNOWLEDGED, reference=reference)
    return None
