import os

from django.core.asgi import get_asgi_application

from aggregator import secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aggregator.settings")

secret_key.require()
application = get_asgi_application()
