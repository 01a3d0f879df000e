# syntax=docker/dockerfile:1
# One image, one entry point: APP_ROLE (api | worker | all) picks what a process does.
# Migrations run from the same image as a separate step: `npm run migration:up`.
# test/image/runtime-image.image-spec.ts replays the runtime stage without a Docker engine.

# --- build: dev dependencies, compiled to dist/; also runs the sandbox (`npm run sandbox`, ts-node)
FROM node:24-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit
COPY tsconfig.json tsconfig.build.json nest-cli.json mikro-orm.config.ts ./
COPY src ./src
COPY sandbox ./sandbox
RUN npm run build
ENV SANDBOX_HOST=0.0.0.0 SANDBOX_PORT=4010
EXPOSE 4010

# --- runtime: production dependencies and dist/ only, as the unprivileged `node` user
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production APP_ROLE=all PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_CACHE=/tmp/.npm
WORKDIR /app
COPY package.json package-lock.json ./
# no install scripts: none of the production dependencies needs one (msgpackr-extract is optional)
RUN npm ci --omit=dev --ignore-scripts --no-audit && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# 9464: /metrics only (METRICS_PORT), for the scraper, not for the public
EXPOSE 3000 9464
# slim has no curl: Node's own fetch
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
