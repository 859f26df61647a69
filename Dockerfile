# qpilot's container image: `qpilot serve` with its models, for the Helm chart in deploy/helm.
# Multi-stage: TypeScript is compiled and dev dependencies pruned in the first stage; the final
# stage holds the compiled code, production dependencies, the bundled models, traces and
# workload profiles, and runs as uid 1000 on a read-only root filesystem (decisions go to the
# /data volume, or to PostgreSQL with DATABASE_URL). No HEALTHCHECK: Kubernetes probes
# /health and /ready.
#   docker build -t qpilot:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundleAgent.ts ./scripts/
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    QPILOT_DATA_DIR=/data \
    MODEL_PATH=/app/models
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY models ./models
COPY traces ./traces
COPY profiles ./profiles
COPY deploy/crds ./deploy/crds
# The node image's unprivileged user; the chart also sets runAsUser 1000.
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
