# sentry-fake as a container: listens on 0.0.0.0:4773 inside the container, in memory.
#   docker build -t sentry-fake .
#   docker run --rm -p 4773:4773 sentry-fake
# Publishing the port publishes an API that takes any Bearer token: add --auth-token (or
# SENTRY_FAKE_AUTH_TOKEN) when anyone else can reach it. To keep state across restarts:
#   docker run --rm -p 4773:4773 -v sentry-data:/data -e SENTRY_FAKE_DATA_DIR=/data sentry-fake
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY twisted ./twisted
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    # The plugin cache is written once here, as root; the server runs without write access.
    && python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))" \
    && useradd --system --no-create-home --shell /usr/sbin/nologin sentry-fake \
    && mkdir -p /data && chown sentry-fake /data && chmod 700 /data
USER sentry-fake
# Where --data-dir (SENTRY_FAKE_DATA_DIR=/data) keeps state; owned by the server's user.
VOLUME /data
EXPOSE 4773
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:4773/health').status != 200)"
CMD ["twistd", "--nodaemon", "--pidfile=", "sentry-fake", "--listen", "tcp:4773:interface=0.0.0.0"]
