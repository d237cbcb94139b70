#!/bin/sh
# Deploys one instance of a service as a process on this machine, the way a platform
# script would: unpack the artifact Gantry hands over, start it detached (in its own
# session, so it outlives this script), remember its pid, and print where it answers.
#
# Gantry runs it with sh -c in the service environment's workspace and sets
# GANTRY_ARTIFACT (the artifact's tarball), GANTRY_INSTANCE, GANTRY_INSTANCE_DIR (a
# folder of the instance's own), GANTRY_PORT, GANTRY_RUN_COMMAND and more.
set -eu

# Running, and not a zombie waiting to be reaped (which kill -0 still finds).
running() { kill -0 "$1" 2>/dev/null && ! grep -qs ') [ZX] ' "/proc/$1/stat"; }

state="$GANTRY_INSTANCE_DIR/process"
url="http://127.0.0.1:$GANTRY_PORT"

# Idempotent: an instance this script already started and that still runs is kept.
if [ -f "$state/pid" ] && running "$(cat "$state/pid")"; then
  echo "$GANTRY_INSTANCE already runs (pid $(cat "$state/pid"))"
  cat "$state/url"
  exit 0
fi

rm -rf "$state"
mkdir -p "$state/app"
tar -xzf "$GANTRY_ARTIFACT" -C "$state/app"
echo "unpacked $GANTRY_SERVICE $GANTRY_VERSION ($GANTRY_ARTIFACT_DIGEST)"

# setsid: Gantry stops everything left in a command's process group when the command
# ends, so a service meant to keep running leaves that group. Its output goes to a file:
# an open pipe to Gantry would tie the deploy to the service's lifetime.
cd "$state/app"
PORT="$GANTRY_PORT" HOST=127.0.0.1 setsid sh -c "exec $GANTRY_RUN_COMMAND" >"$state/output.log" 2>&1 </dev/null &
echo $! >"$state/pid"
# Gantry stops what a deploy leaves in its process group once the deploy exits: wait until
# the service has left it (setsid has made it a session of its own) before exiting, or a
# busy machine could stop the service before setsid ran.
session() { awk '{ print $6 }' "/proc/$1/stat" 2>/dev/null; }
tries=0
while [ "$(session $!)" = "$(session $$)" ] && [ "$tries" -lt 100 ]; do
  sleep 0.05
  tries=$((tries + 1))
done
echo "$url" >"$state/url"
echo "started $GANTRY_INSTANCE as pid $(cat "$state/pid")"

# The last line that is a URL tells Gantry where the new instance answers.
echo "$url"
