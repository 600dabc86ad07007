"""Celery tasks: thin wrappers that call the services."""

from celery import shared_task

from requests_app import services


@shared_task(name="requests_app.tasks.mark_overdue")
def mark_overdue() -> int:
    """Daily: mark late requests and reviews, email each campaign owner one digest."""
    return services.send_overdue_digests()
