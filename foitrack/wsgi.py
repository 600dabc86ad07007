import os

from django.core.wsgi import get_wsgi_application

from foitrack.startup import refuse_development_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foitrack.settings")
refuse_development_key()
application = get_wsgi_application()
