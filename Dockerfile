# Crewline: one image for the worker (default), the API and the migration job.
#   docker build -t crewline .
#   docker run crewline                     # worker
#   docker run -p 3000:3000 crewline npm run api     # scripts/api.ts: the HTTP API only
#   docker run crewline npm run migrate
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first so this layer is cached until package*.json change. The TypeScript sources are run
# with tsx (a runtime dependency), so there is no build step and dev dependencies are not needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
    || { echo 'npm ci failed (lock file out of sync?); falling back to npm install --no-save' >&2; \
         npm install --omit=dev --no-save; } \
    && npm cache clean --force

COPY . .

USER node
EXPOSE 3000
CMD ["npm", "run", "worker"]
