"""The mail provider's inbound webhook: Mailgun's "forward" route, signed, read by django-anymail.

Mounted at /mail/inbound/mailgun_mime/ (the raw message: Mailgun posts it to a URL ending in
"mime") and /mail/inbound/mailgun/ (Mailgun's parsed fields), in effect only when
MAILGUN_WEBHOOK_SIGNING_KEY is set (404 otherwise). django-anymail checks the signature
(HMAC-SHA256 of timestamp and token) and sends its ``inbound`` signal, which
``requests_app.replies`` turns into a stored reply.
"""

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

_mailgun = MailgunInboundWebhookView.as_view()


@csrf_exempt
def mailgun_inbound(request: HttpRequest) -> HttpResponse:
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        raise Http404("Inbound mail from Mailgun is not configured.")
    return _mailgun(request)
