# medstream worker image: daphne serving the ASGI app, static files collected for whitenoise.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MEDSTREAM_VAR_DIR=/var/lib/medstream

# A fixed UID/GID, so that Kubernetes' runAsUser (deploy/kubernetes/) can name the same user.
RUN groupadd --system --gid 10001 medstream \
    && useradd --system --uid 10001 --gid medstream --home /app medstream
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN mkdir -p /var/lib/medstream \
    && SECRET_KEY=collectstatic-only-not-a-real-key-0123456789abcdefghijklmnopqrstuvwxyz \
       python manage.py collectstatic --noinput \
    && chown -R medstream:medstream /var/lib/medstream

USER medstream
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status != 200)"
CMD ["python", "-m", "medstream.serve", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers"]
