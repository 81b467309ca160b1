# syntax=docker/dockerfile:1
# regauth image: `docker build -t regauth .`, then run it with a config in /config:
#   docker run -p 5001:5001 -v "$PWD/myconfig:/config:ro" -v regauth-keys:/keys regauth
# or try it with a registry: `docker compose up` (see README.md).
ARG NODE_VERSION=24

# Compile TypeScript with the dev dependencies.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime dependencies only. bcrypt ships prebuilt binaries, so no compiler is needed.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
# tini runs as PID 1: it forwards SIGTERM/SIGHUP to the server and reaps the grandchildren that
# ext_auth scripts leave behind (a PID 1 Node process would do neither).
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    REGAUTH_CONFIG=/config/config.yml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY plugins ./plugins
COPY config ./config
COPY deploy/compose/config/config.yml /config/config.yml
# /config holds the config (mount yours read-only); /keys the signing key, certificate and
# refresh secret (generated there on first start by the starter config). Nothing else is written,
# so the container runs with a read-only root filesystem.
RUN mkdir -p /keys && chown node:node /keys
VOLUME ["/keys"]
USER node
EXPOSE 5001
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 CMD ["node", "bin/regauth.js", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/regauth.js"]
CMD ["serve"]
