# One image for every 工友 service: Rasa server, action server, web server and the
# knowledge-base loader (docker-compose.yml picks the command). Built from requirements.lock.
#
#   docker compose build          (or: docker build -t gongyou .)
#
# The model: models/gongyou.tar.gz from the build context if it is current (`make train`
# wrote models/gongyou.hash for exactly these inputs), else it is trained here (~5 min).
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONPATH=/app \
    GONGYOU_VAR_DIR=/app/var

WORKDIR /app

# A Chinese font for PDF documents (the web server builds them; Word files need none).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

COPY . .
RUN pip install --no-deps --no-build-isolation -e . \
    && python -m bot.cli train \
    && rm -f models/train.log models/.train.lock \
    && useradd --create-home --uid 10001 gongyou \
    && mkdir -p var && chown gongyou /app var

USER gongyou

# A Rasa server by default, through the same launcher as `make run` (bot.serve.rasa_command);
# docker-compose.yml sets the command of each service. The HTTP API is guarded by
# $RASA_AUTH_TOKEN, which the launcher reads itself (it is never on the command line).
EXPOSE 5005 5055 8080
CMD ["python", "-m", "bot.rasa_server", "run", "--model", "models/gongyou.tar.gz", "--port", "5005", \
     "--credentials", "credentials.yml", "--endpoints", "deploy/endpoints.cluster.yml", \
     "--enable-api", "--cors", "*", "--interface", "0.0.0.0"]
