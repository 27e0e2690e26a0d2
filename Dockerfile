# reseller-bridge: a multi-stage build on the official Node 24 image (Debian bookworm, slim).
# Stage 1 compiles the TypeScript with every dependency, then reinstalls only the production ones;
# stage 2 holds just those, the bundle and the compiled dist/src, the demo mappings, and runs as `node`.

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY harness ./harness
RUN npm run build && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    BRIDGE_MAPPINGS=/app/mappings \
    BRIDGE_DB=/app/data/bridge.db
# Node flags for the process (heap limits for a sidecar, say) go in NODE_OPTIONS, set here or by
# the orchestrator: e.g. --max-old-space-size=256. Empty by default: Node's own sizing.
ENV NODE_OPTIONS=""
# The C allocator's settings `npm start` sets too (package.json, README "Memory settings for a
# sidecar"): two malloc arenas, and freed memory above 128 KiB given back to the system.
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
# The bundle the bridge runs (dist/bundle/main.js, README "Idle memory: the bundle"), and the compiled sources
# the health check and the operator CLI (node dist/src/cli/main.js) run.
COPY --from=build /app/dist/bundle ./dist/bundle
COPY --from=build /app/dist/src ./dist/src
COPY mappings ./mappings
# The OpenAPI description the admin listener serves (GET /openapi.json).
COPY openapi.json ./
# The store (and the demo simulator's state) lives in /app/data: mount a volume there.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000 3002
# SIGTERM starts the graceful shutdown (BRIDGE_SHUTDOWN_TIMEOUT_MS, 25 s by default): give the
# container a stop timeout above it (docker run --stop-timeout 30; Kubernetes' default 30 s fits).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/src/healthcheck.js"]
# The same Node flags as `npm start` (package.json): the memory settings measured by the benchmark.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--bytecode-old-age=1", "--expose-gc", "dist/bundle/main.js"]
