# syntax=docker/dockerfile:1.7
# One image for every process of the marketplace:
#   web     gunicorn config.wsgi:application   (default command)
#   worker  celery -A config worker
#   beat    celery -A config beat
#   migrate python manage.py migrate_schemas --noinput
# It starts with environment variables only; see docs/deployment.md for the list.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: dependencies into a virtualenv ---------------------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src

# Dependencies first, from pyproject.toml alone, so that a source change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000 \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Source owned by root and read-only for the app user. Writable: /tmp, and /data for local media
# when no bucket is configured (MEDIA_ROOT=/data/media, PRIVATE_MEDIA_ROOT=/data/private).
COPY . .
RUN mkdir -p /data/media /data/private && chown -R app:app /data

# Static files are collected at build time (WhiteNoise serves them with hashed names). The
# placeholders only let production settings import; nothing is connected to.
RUN DJANGO_SECRET_KEY=collectstatic-placeholder-not-a-secret \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    PLATFORM_DOMAIN=build.invalid \
    ALLOWED_HOSTS=build.invalid \
    STRIPE_SECRET_KEY=sk_test_collectstatic_placeholder \
    STRIPE_PUBLISHABLE_KEY=pk_test_collectstatic_placeholder \
    STRIPE_WEBHOOK_SECRET=whsec_collectstatic_placeholder \
    python manage.py collectstatic --noinput

USER 10001:10001

EXPOSE 8000

# /healthz answers 200 without touching tenants (see docs/deployment.md). Worker and beat
# override this check in compose.yaml and in the ECS task definitions.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as u; sys.exit(0 if u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4).status == 200 else 1)"]

CMD ["sh", "-c", "exec gunicorn config.wsgi:application --bind 0.0.0.0:${PORT} --worker-tmp-dir /tmp --access-logfile - --forwarded-allow-ips '*' --keep-alive 75 --timeout 30 --graceful-timeout 30"]
