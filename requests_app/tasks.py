"""Celery tasks: thin wrappers that call the services; they take ids and return quietly."""

from celery import shared_task
from django.conf import settings

from requests_app import mail, replies, services


@shared_task(name="requests_app.tasks.mark_overdue")
def mark_overdue() -> int:
    """Daily: mark late requests and reviews, email each campaign owner one digest, and chase
    late forces where the campaign owner switched chasing on. Returns the digests sent."""
    digests = services.send_overdue_digests()
    mail.chase_overdue()
    return digests


@shared_task(name="requests_app.tasks.send_email", acks_late=True)
def send_email(email_id: int) -> str | None:
    return mail.email_send(email_id=email_id)


@shared_task(name="requests_app.tasks.retry_emails")
def retry_emails() -> int:
    """Every few minutes: queue again the emails whose retry time has come."""
    return len(mail.emails_retry_due())


@shared_task(name="requests_app.tasks.fetch_replies")
def fetch_replies() -> int:
    """Every few minutes: file the new replies in the IMAP mailbox; nothing without IMAP_URL."""
    if not settings.IMAP_URL:
        return 0
    return len(replies.fetch_replies().new)
