# Dependencies are resolved by npm from package-lock.json (the project's one lockfile), then run on Bun.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM oven/bun:1.4.4-slim
WORKDIR /app
# BUN_JSC_forceRAMSize: as shared/process/runtime.ts serviceEnvironment sets it for `npm start` (GC sized for 512 MiB).
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data BUN_JSC_forceRAMSize=536870912
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY shared ./shared
COPY customers ./customers
COPY accounts ./accounts
COPY migrations ./migrations
COPY scripts ./scripts
COPY web ./web
# The dashboard's and /docs' scripts (web/build/); Bun is the image's own.
RUN bun scripts/build-web.ts
RUN mkdir -p /data && chown bun:bun /data
USER bun
VOLUME /data
# One image, two services: docker-compose.yml runs each with its own command; alone, accounts.
CMD ["bun", "accounts/main.ts"]
