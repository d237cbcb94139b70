#!/bin/sh
# Exits 0 when the instance runs and its health path answers 2xx. Gantry polls it after a
# deploy until it does (within the service's run.startTimeout), and before adopting an
# instance it deployed earlier.
set -eu

# Running, and not a zombie waiting to be reaped (which kill -0 still finds).
running() { kill -0 "$1" 2>/dev/null && ! grep -qs ') [ZX] ' "/proc/$1/stat"; }

state="$GANTRY_INSTANCE_DIR/process"
if ! [ -f "$state/pid" ] || ! running "$(cat "$state/pid")"; then
  echo "$GANTRY_INSTANCE is not running"
  tail -n 5 "$state/output.log" 2>/dev/null || true
  exit 1
fi
# node is on every Gantry worker; curl may not be.
node -e '
  fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
    .then((r) => { console.log(`${process.argv[1]} answered ${r.status}`); process.exit(r.ok ? 0 : 1); })
    .catch((e) => { console.log(`${process.argv[1]}: ${e.cause?.code ?? e.message}`); process.exit(1); });
' "$GANTRY_URL$GANTRY_HEALTH_PATH"
