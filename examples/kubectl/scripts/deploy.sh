#!/bin/sh
# A Deployment per instance beside the one serving (idempotent: apply), then its image set
# to this version. Prints the in-cluster URL of its own Service last: Gantry's router and
# smoke test reach the instance there, so the worker must run in (or route into) the cluster.
set -eu
. "$GANTRY_CATALOGUE_DIR/scripts/common.sh"

kube create deployment "$name" --image="$image" --port=8080 --dry-run=client -o yaml | kube apply -f -
kube set image "deployment/$name" "$GANTRY_SERVICE=$image"
kube set env "deployment/$name" PORT=8080 HOST=0.0.0.0 GANTRY_SERVICE="$GANTRY_SERVICE" GANTRY_ENVIRONMENT="$GANTRY_ENVIRONMENT"
kube expose deployment "$name" --port=8080 --dry-run=client -o yaml | kube apply -f -
echo "http://$name.$namespace.svc.cluster.local:8080"
