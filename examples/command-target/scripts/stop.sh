#!/bin/sh
# Stops the instance: SIGTERM to its whole process group, SIGKILL after 5 s. Stopping an
# instance that is not running succeeds, as Gantry requires.
set -eu

# Running, and not a zombie waiting to be reaped (which kill -0 still finds).
running() { kill -0 "$1" 2>/dev/null && ! grep -qs ') [ZX] ' "/proc/$1/stat"; }

state="$GANTRY_INSTANCE_DIR/process"
[ -f "$state/pid" ] || { echo "$GANTRY_INSTANCE was never started here"; exit 0; }
pid=$(cat "$state/pid")
if ! running "$pid"; then
  echo "$GANTRY_INSTANCE (pid $pid) is not running"
  exit 0
fi
kill -TERM "-$pid" 2>/dev/null || true
for _ in 1 2 3 4 5 6 7 8 9 10; do
  running "$pid" || { echo "stopped $GANTRY_INSTANCE (pid $pid)"; exit 0; }
  sleep 0.5
done
kill -KILL "-$pid" 2>/dev/null || true
echo "killed $GANTRY_INSTANCE (pid $pid) after 5 s"
