# Crewline: one image for the worker (default), the API and the migration job — compiled JavaScript only.
#   docker build -t crewline .
#   docker run crewline                                          # worker: node dist/worker/main.js
#   docker run -p 3000:3000 crewline node dist/scripts/api.js   # the HTTP API (+ inbox drainer), on 0.0.0.0
#   docker run crewline node dist/db/migrate-cli.js             # migrations (db/migrations, copied into dist/)
#
# Stage 1 compiles with the dev dependencies (TypeScript, tsx for the build script) and pre-builds the workflow
# bundle (`npm run build`: dist/, dist/db/migrations, dist/workflow-bundle.js). Stage 2 has the production
# dependencies and dist/ only: no TypeScript sources, no tsx on any code path, and the worker loads the bundle
# instead of running webpack at every start.

FROM node:20-bookworm-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY api ./api
COPY activities ./activities
COPY db ./db
COPY scripts ./scripts
COPY worker ./worker
COPY workflows ./workflows
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# HOST: the API listens on every interface in a container (its default outside one is loopback).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app
# Dependencies first, so this layer is cached until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/worker/main.js"]
