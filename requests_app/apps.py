from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "FOI requests"

    def ready(self) -> None:
        # Connects the inbound-mail signal receiver (django-anymail's webhook).
        from requests_app import replies  # noqa: F401
