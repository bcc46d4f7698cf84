# One image for web, worker and beat (docker-compose.yml declares it once).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 vietfront

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# The production build: collectstatic under DEBUG=0 (the manifest storage refuses any missing
# reference). compose's migrate service re-runs it into the volume nginx serves.
RUN DEBUG=0 SECRET_KEY=build-only python manage.py collectstatic --no-input -v0 \
 && mkdir -p /app/media /app/var \
 && chown -R vietfront /app/media /app/var /app/staticfiles

USER vietfront
EXPOSE 8000
CMD ["gunicorn", "vietfront.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
