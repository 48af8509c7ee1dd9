import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
django_application = get_asgi_application()

# Grid tiles of public IIIF images are answered before Django (docs/iiif.md, "Caching and speed").
from toshokan.archive.iiif.fast import TileFastPath  # noqa: E402

application = TileFastPath(django_application)
