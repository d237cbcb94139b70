#!/bin/sh
# Points the environment's stable Service at this instance's pods (kubectl create deployment labels them app=<name>).
set -eu
. "$GANTRY_CATALOGUE_DIR/scripts/common.sh"

kube patch service "$GANTRY_SERVICE" --type=merge -p "{\"spec\":{\"selector\":{\"app\":\"$name\"}}}"
