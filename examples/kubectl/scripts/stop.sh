#!/bin/sh
# Removes the instance; removing one that is gone succeeds.
set -eu
. "$GANTRY_CATALOGUE_DIR/scripts/common.sh"

kube delete "deployment/$name" "service/$name" --ignore-not-found --wait=true
