#!/bin/sh
# The version a CI run releases, printed on stdout. Copy beside your CI file (both
# examples call it as ci/release-version.sh) and give it, through the environment:
#   RELEASE_TAG     the tag that was pushed, if any (v1.4.2): released as it is
#   RELEASE_BRANCH  otherwise the branch (main), RELEASE_RUN the CI run number (42) and
#   RELEASE_SHA     the commit: released as a pre-release of the version in package.json
#                   with the commit as build metadata: 1.4.2-main.42+0123456789ab
# A commit SHA alone is not a version (`gantry release start --version` refuses it), and
# a version released once is never released again, so every run of a branch gets its own.
set -eu
if [ -n "${RELEASE_TAG:-}" ]; then
  printf '%s\n' "$RELEASE_TAG"
  exit 0
fi
base=$(node -p "require('./package.json').version")
# Pre-release identifiers allow only letters, digits and '-': feature/Add_x → feature-Add-x.
branch=$(printf '%s' "${RELEASE_BRANCH:?set RELEASE_BRANCH (or RELEASE_TAG)}" | tr -c 'A-Za-z0-9-' '-')
sha=$(printf '%s' "${RELEASE_SHA:?set RELEASE_SHA}" | cut -c1-12)
printf '%s-%s.%s+%s\n' "${base%%[-+]*}" "$branch" "${RELEASE_RUN:?set RELEASE_RUN}" "$sha"
