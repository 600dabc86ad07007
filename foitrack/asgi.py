import os

from django.core.asgi import get_asgi_application

from foitrack.startup import refuse_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foitrack.settings")
refuse_development_key()
application = get_asgi_application()
