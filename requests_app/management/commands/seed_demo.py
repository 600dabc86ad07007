import secrets

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand

from requests_app.demo import seed_demo_campaign, seed_strip_search_campaign


class Command(BaseCommand):
    help = "Create an admin login and the demo campaign (once), and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        password = secrets.token_urlsafe(12)
        # A researcher's name, as the request letters are signed with it.
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.org",
                "first_name": "Demo",
                "last_name": "Researcher",
            },
        )
        # A fresh password each run, so the printed login always works.
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        campaigns = [seed_demo_campaign(owner=user), seed_strip_search_campaign(owner=user)]
        for campaign in campaigns:
            self.stdout.write(
                f"Demo campaign: {campaign.title} ({campaign.requests.count()} requests)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin: http://127.0.0.1:8000/admin/  username: {username}  password: {password}"
            )
        )
