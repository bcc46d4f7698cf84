"""The Celery app. Tasks live in the app they belong to (``moderation/tasks.py``...)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vietfront.settings")

app = Celery("vietfront")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
