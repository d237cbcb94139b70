# The Gantry worker image: `docker build -t gantry .`, then `docker run gantry` runs
# `gantry worker` (see docker-compose.yml for the environment it reads).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so this layer is reused until package-lock.json changes.
# Install scripts are skipped here because the root `prepare` script needs the sources.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
# Now run the dependencies' install scripts, compile, and drop the dev dependencies.
RUN npm rebuild \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    GANTRY_HOME=/var/lib/gantry
WORKDIR /app
# git fetches and checks out the commit each release builds; ssh for ssh:// repositories.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# tsc compiles no .proto: the flag sync service's definition goes beside the code that loads it.
COPY --from=build /app/src/flags/proto ./dist/flags/proto
COPY --from=build /app/bin ./bin
RUN mkdir -p /var/lib/gantry && chown node:node /var/lib/gantry
# The unprivileged user that ships with the node image.
USER node
VOLUME ["/var/lib/gantry"]
CMD ["node", "bin/gantry.js", "worker"]
