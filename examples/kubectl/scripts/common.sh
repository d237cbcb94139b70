# Shared by the scripts: names derived from what Gantry passes in.
# KUBE_NAMESPACE defaults to the environment's name; IMAGE_REPOSITORY is where CI pushes
# the service's image (until Gantry's image artifacts set GANTRY_ARTIFACT to it by digest).
namespace="${KUBE_NAMESPACE:-$GANTRY_ENVIRONMENT}"
# Kubernetes names: lower case, digits and -, so the instance id's dots and plus signs go.
name="$GANTRY_SERVICE-$(printf '%s' "$GANTRY_INSTANCE" | tr 'A-Z._+' 'a-z---')"
image="${IMAGE_REPOSITORY:?set IMAGE_REPOSITORY on the worker, e.g. registry.example.com/shop}/$GANTRY_SERVICE:$GANTRY_VERSION"
kube() { kubectl --namespace "$namespace" "$@"; }
