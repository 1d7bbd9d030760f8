# syntax=docker/dockerfile:1
# The drift daemon's image: `pod-identity-drift watch` (see docs/daemon.md).
#
# Two stages: `deps` installs the production dependencies (better-sqlite3 may compile its native addon, so
# the toolchain lives there only) and drops the CDKTF packages the daemon never loads; the runtime stage is
# the Node.js image with node_modules, the CLI's launcher and the drift sources, running as the unprivileged
# `node` user (uid 1000). tsx is a production dependency: the CLI runs the TypeScript sources directly, so
# there is no build step. Nothing is written under /app at run time: tsx caches in TMPDIR (/tmp, an
# emptyDir in the Deployment) and the history store goes where the drift config says, so the root
# filesystem can be read-only.
ARG NODE_VERSION=22.20.0

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 # The constructs half of the project (cdktf, the AWS provider bindings) is not part of the daemon.
 && rm -rf node_modules/cdktf node_modules/@cdktf node_modules/constructs
COPY bin/pod-identity-drift.js ./bin/
COPY drift ./drift
# Fail the build if the pruned tree cannot load the CLI.
RUN node bin/pod-identity-drift.js watch --help > /dev/null

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --chown=root:root bin/pod-identity-drift.js ./bin/
COPY --chown=root:root drift ./drift
USER 1000:1000
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/pod-identity-drift.js"]
CMD ["watch", "--config", "/etc/pod-identity-drift/drift.yaml"]
