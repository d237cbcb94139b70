#!/bin/sh
# Makes the instance the one serving the environment. Here Gantry's own router moves the
# traffic, so the platform has only to remember which instance is current (a load
# balancer's pool, a DNS record or a Kubernetes Service selector would change here).
set -eu

echo "$GANTRY_INSTANCE" >current.tmp
mv current.tmp current
echo "$GANTRY_SERVICE in $GANTRY_ENVIRONMENT is now served by $GANTRY_INSTANCE ($GANTRY_URL)"
