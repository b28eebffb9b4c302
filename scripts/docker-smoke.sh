#!/usr/bin/env bash
# docker-smoke.sh: build the image, run it on a loopback port, wait for /_emulator/health, make one
# signed RongCloud call (create a group, read it back), check the HEALTHCHECK and the non-root user,
# then remove the container. Exits non-zero on any failure.
#
# Engine: $CONTAINER_ENGINE if set, else docker when its daemon answers, else podman (which needs
# no daemon; ../shared/tools/podman-setup.sh installs it and builds python:3.11-slim locally).
# Needs python3 on the host (signing and HTTP use its standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMEMU_SMOKE_IMAGE:-localhost/im-emulator:smoke}
NAME=im-emulator-smoke-$$
BASE=python:3.11-slim
APP_KEY=uwd1c0sxdlx2            # the default scenario's public RongCloud test app
APP_SECRET=Y1W2MeFwwwRxa0

log() { echo "docker-smoke: $*" >&2; }
die() { log "FAIL: $*"; exit 1; }

ENGINE=${CONTAINER_ENGINE:-}
if [ -z "$ENGINE" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker
  elif command -v podman >/dev/null 2>&1; then
    ENGINE=podman
  else
    die "no container engine: neither a docker daemon nor podman is available"
  fi
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed on the host"
log "engine: $ENGINE ($($ENGINE --version))"

build=("$ENGINE" build -t "$IMAGE")
if [ "$ENGINE" = podman ]; then
  # docker format keeps HEALTHCHECK; use the local base image when there is one (no registry here)
  build+=(--format docker)
  if podman image exists "$BASE"; then build+=(--pull=never); fi
fi
log "building $IMAGE"
"${build[@]}" . >&2 || die "image build failed"

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && "$ENGINE" container inspect "$NAME" >/dev/null 2>&1; then
    log "container logs:"; "$ENGINE" logs "$NAME" >&2 || true
  fi
  "$ENGINE" rm -f "$NAME" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "running $NAME on 127.0.0.1:$PORT"
"$ENGINE" run -d --name "$NAME" -p "127.0.0.1:$PORT:8080" "$IMAGE" >/dev/null || die "container did not start"
URL="http://127.0.0.1:$PORT"

log "waiting for $URL/_emulator/health"
healthy=
for _ in $(seq 1 120); do
  if python3 - "$URL" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/_emulator/health", timeout=2) as r:
    body = json.load(r)
sys.exit(0 if r.status == 200 and body.get("status") == "ok" else 1)
PY
  then healthy=1; break; fi
  [ "$("$ENGINE" container inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ] \
    || die "container exited before it was healthy"
  sleep 0.5
done
[ -n "$healthy" ] || die "no healthy answer from $URL/_emulator/health within 60 s"

log "signed RongCloud call"
python3 - "$URL" "$APP_KEY" "$APP_SECRET" <<'PY' || die "signed RongCloud call failed"
import hashlib, json, random, sys, time, urllib.parse, urllib.request
url, key, secret = sys.argv[1:4]

def post(path, form):
    nonce, ts = str(random.randint(0, 10**9)), str(int(time.time()))
    headers = {"App-Key": key, "Nonce": nonce, "Timestamp": ts,
               "Signature": hashlib.sha1((secret + nonce + ts).encode()).hexdigest(),
               "Content-Type": "application/x-www-form-urlencoded"}
    req = urllib.request.Request(url + path, data=urllib.parse.urlencode(form).encode(), headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.load(r)
    print(f"  POST {path} -> {r.status} {json.dumps(body)}", file=sys.stderr)
    return body

created = post("/entrust/group/create.json", {"groupId": "smoke1", "name": "smoke", "owner": "leckie"})
assert created.get("code") == 200, created
found = post("/entrust/group/profile/query.json", {"groupIds": "smoke1"})
assert found.get("code") == 200, found
profiles = found.get("profiles") or []
assert [p.get("groupId") for p in profiles] == ["smoke1"], found
assert profiles[0].get("groupName") == "smoke" and profiles[0].get("owner") == "leckie", found
PY

log "image HEALTHCHECK and user"
if [ "$ENGINE" = podman ]; then
  podman healthcheck run "$NAME" >&2 || die "the image's HEALTHCHECK command failed"
else
  status=
  for _ in $(seq 1 60); do
    status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$NAME")
    [ "$status" = healthy ] && break
    [ -n "$status" ] || die "the image has no HEALTHCHECK"
    sleep 0.5
  done
  [ "$status" = healthy ] || die "HEALTHCHECK status is '$status', not healthy"
fi
uid=$("$ENGINE" exec "$NAME" id -u) || die "cannot exec in the container"
[ "$uid" != 0 ] || die "the container runs as root"

log "OK ($IMAGE served health and a signed RongCloud call; HEALTHCHECK passes; uid $uid)"
