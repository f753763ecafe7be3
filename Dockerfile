# One image definition for all five Falaj apps (gateway, registry, router, cpu-worker, gpu-worker).
#   docker build --build-arg APP=gateway -t falaj/gateway:0.1.0 .
# The app can also be chosen at run time: docker run -e FALAJ_APP=router falaj/gateway:0.1.0
# or by overriding the command: node dist/apps/router/src/main.js

# ---- build: install everything, compile, then drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node's installer fetches CUDA libraries from the network; the CPU binaries ship in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json .swcrc ./
COPY scripts ./scripts
COPY libs ./libs
COPY apps ./apps
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime
FROM node:20-bookworm-slim AS runtime
ARG APP=gateway
ENV NODE_ENV=production \
    FALAJ_APP=${APP} \
    FALAJ_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The one-shot jobs docker-compose.yml runs with this image (the apps' Redis users and Kafka ACLs).
COPY --from=build /app/scripts/dev ./scripts/dev
RUN mkdir -p /data/artifacts /data/audit-spool && chown node:node /data/artifacts /data/audit-spool
USER node
CMD ["sh", "-c", "exec node dist/apps/${FALAJ_APP}/src/main.js"]
