# Box Office: one stateless instance. docker-compose.yml runs several behind nginx.
#
# Two stages: `build` installs every dependency and compiles src/ to dist/ (npm run build);
# the runtime stage has production dependencies only (no TypeScript, no tsx), the compiled
# JavaScript, the Lua scripts and the demo's static files, and runs as the unprivileged
# `node` user.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY --from=build /app/dist ./dist
COPY lua ./lua
COPY public ./public

ENV REDIS_URL=redis://redis:6379 \
    PORT=8080
EXPOSE 8080
USER node

# /healthz answers while the process runs; load balancers probe /readyz (see docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node itself is PID 1 (no npm, no shell in between), so the SIGTERM of `docker stop` reaches
# the service, which drains its requests before it exits.
CMD ["node", "--enable-source-maps", "dist/main.js"]
