# syntax=docker/dockerfile:1
# s3gate: build with `docker build -t s3gate:0.1.0 .`; run as in README.md ("Deploy").
# Node 24 is the current LTS line; s3gate itself runs on Node >= 20.18.
ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only, installed from the lock file.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The compiler and the sources: only dist/ leaves this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    S3GATE_LISTEN=0.0.0.0:8080 \
    S3GATE_ADMIN_LISTEN=0.0.0.0:8081 \
    S3GATE_DATA_DIR=/var/lib/s3gate
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE ./
# The only writable path s3gate needs (a generated root key); mount a volume there, or set the root key.
RUN mkdir -p /var/lib/s3gate && chown 1000:1000 /var/lib/s3gate
# The image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 8081
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["node", "dist/main.js", "healthcheck"]
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/main.js"]
CMD ["serve"]
