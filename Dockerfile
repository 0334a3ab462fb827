# Production image: trytond + the photo suite + sao, served by gunicorn.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        nodejs npm postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/photo
COPY requirements.txt ./
COPY addons ./addons
RUN pip install --no-cache-dir -r requirements.txt
COPY scripts ./scripts
COPY config ./config
RUN bash -c 'source scripts/lib.sh && ensure_sao'
ENV TRYTOND_CONFIG=/srv/photo/config/trytond-postgresql.conf \
    TRYTOND_WEB__ROOT=/srv/photo/var/www
EXPOSE 8000
CMD ["gunicorn", "--workers", "4", "--threads", "8", "--bind", "0.0.0.0:8000", \
     "--logger-class", "trytond.modules.photo_booking.access_log.RedactingLogger", \
     "trytond.application:app"]
