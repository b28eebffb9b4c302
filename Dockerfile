# im-emulator: the Tencent Cloud Chat, OpenIM and RongCloud server API emulator on one port.
#   docker build -t im-emulator . && docker run --rm -p 8080:8080 im-emulator
# State across restarts: -e IMEMU_STATE_FILE=/data/state.json -v imemu-data:/data
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    IMEMU_HOST=0.0.0.0 \
    IMEMU_PORT=8080

# An unprivileged user; /data is the one place it may write (state file).
RUN groupadd --system --gid 10001 imemu \
    && useradd --system --uid 10001 --gid imemu --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin imemu \
    && mkdir /data \
    && chown imemu:imemu /data

# Non-editable install: the default scenario ships inside the package (emulator.fixtures).
WORKDIR /src
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install --no-cache-dir . \
    && rm -rf /src

WORKDIR /data
USER 10001:10001
EXPOSE 8080

# Slim images have no curl: ask /_emulator/health with the standard library (any HTTP error or
# refused connection makes urlopen raise, so the check fails).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:%s/_emulator/health' % os.environ.get('IMEMU_PORT', '8080'), headers={'X-Emulator-Token': os.environ.get('IMEMU_ADMIN_TOKEN', '')}), timeout=2)"]

CMD ["im-emulator"]
