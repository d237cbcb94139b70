#!/bin/sh
# Healthy once the rollout finished (readiness probes passed). Short: Gantry polls it.
set -eu
. "$GANTRY_CATALOGUE_DIR/scripts/common.sh"

kube rollout status "deployment/$name" --timeout=5s
