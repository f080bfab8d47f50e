# syntax=docker/dockerfile:1
# Multi-stage build: the first stage installs everything and builds the API and the web client;
# the runtime stage keeps only the build output, production dependencies and the persona catalogue.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile may lack this platform's optional binaries.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
# The embedded store's DATA_DIR (without REDIS_URL); mount a volume here to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1's only process and gets the signal itself. On SIGTERM it lets running
# answers finish for SHUTDOWN_GRACE_SECONDS (8), stores the rest as interrupted and exits within 2 s more.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.js"]
