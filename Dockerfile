# syntax=docker/dockerfile:1
# The plugin image. Argo runs its ENTRYPOINT with the socket path as the only argument.

# Production dependencies, with the Reed-Solomon addon compiled (node-gyp needs python3, make, g++,
# which the full image has). N-API keeps the binary valid for any Node version.
FROM node:24-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The TypeScript build.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the base image already is Node 24; the `node` devDependency is for dev machines.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
COPY drivers ./drivers
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json && cp -r proto dist/proto

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
# Shard I/O, Reed-Solomon and zlib share this pool; see src/threadpool.ts.
ENV UV_THREADPOOL_SIZE=16
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# /tmp must stay writable for the socket folder; node's image keeps it 1777.
# UID 8737 is the one Argo's own images use.
USER 8737:8737
ENTRYPOINT ["node", "/app/dist/src/main.js"]
