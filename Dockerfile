# Box Office: one stateless instance. docker-compose.yml runs several behind nginx.
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them. tsx is a runtime
# dependency: the service runs its TypeScript directly, there is no build step.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY lua ./lua

ENV REDIS_URL=redis://redis:6379 \
    PORT=8080
EXPOSE 8080
USER node

# The same as `npx tsx src/main.ts`, but in one process: npx starts npm -> sh -> tsx ->
# node, and a SIGTERM sent to npm (PID 1 here, from `docker stop`) ends npm and sh while
# the service never sees it, so it would be killed without draining its requests.
CMD ["node", "--import", "tsx", "src/main.ts"]
