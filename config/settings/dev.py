import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True

# A developer's machine (and a fresh `make run`) seldom has a mail server: unless one is named,
# notices' e-mails are written as files under var/mail/, one per message, to be read there.
if "EMAIL_BACKEND" not in os.environ and "EMAIL_HOST" not in os.environ and "EMAIL_PORT" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")

# The demo My Number card (manage.py jpki_demo_card, docs/jpki.md): its made-up CA is trusted only
# here, with DEBUG on; production settings cannot trust it (DEBUG off, and check --deploy refuses it).
TOSHOKAN_JPKI = {"DEMO": True}
