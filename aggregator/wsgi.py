import os

from django.core.wsgi import get_wsgi_application

from aggregator import gc_tuning, secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aggregator.settings")

secret_key.require()  # before serving: logins (sessions) need it
django_application = get_wsgi_application()

from events.ingest.wsgi import IngestFastPath  # noqa: E402  (needs Django set up)
from ops.wsgi import OpsPaths  # noqa: E402

# SDK ingest skips the middleware stack; so do health, readiness and /metrics (behind it,
# so ingest pays nothing for them); everything else is plain Django.
application = IngestFastPath(OpsPaths(django_application))
gc_tuning.tune()
