# Node 24 LTS on Debian bookworm (slim), pinned by digest so every build starts from the same
# bytes: the multi-platform index of node:24-bookworm-slim (Node 24.19.0, 25 Aug 2026, per
# docker-library/repo-info). To update, take the new index digest from
# `docker buildx imagetools inspect node:24-bookworm-slim` and change both FROM lines.

# Build stage: compile TypeScript.
FROM node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Run stage: only what runs, owned by root and run as the unprivileged `node` user.
FROM node:24-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json vulnbot.example.yml ./
USER node
EXPOSE 3000
# /healthz: the process is alive (liveness; /readyz checks Redis, workers and credentials).
# PORT as the bot reads it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
