# One image for every Node service (auth, gateway, media) and the one-shot migration, chosen at run
# time by the first argument: `docker run chat auth` (compose `command:`, Kubernetes `args:`).
# Why one image: the three services share one lock file, one build and the same libs, so one image
# means one build, one vulnerability scan and one tag to roll out, and a gateway can never run
# against a media built from another commit. The cost is a few MB of code a service never loads.
#
# A second target, `web`, is nginx with the built web client (dist/web): the docker-compose front
# door and the Kubernetes `web` Deployment. Build it with `--target web`.
#
# Base images are pinned by version tag. Node 20 is what package.json's engines require (>= 20.19);
# bump NODE_VERSION and NGINX_VERSION deliberately (and consider pinning by digest, @sha256:..., in
# your registry mirror) rather than floating on a moving tag.
ARG NODE_VERSION=20.20.2
ARG NGINX_VERSION=1.28.0

# ---------------------------------------------------------------------------------------------
# build: full dependency tree (TypeScript, Vite, tsc-alias), compiles the servers and the web client.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
# Lock file first: the dependency layer is reused until package*.json change.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build \
 && test -f dist/apps/auth/src/main.js \
 && test -f dist/apps/gateway/src/main.js \
 && test -f dist/apps/media/src/main.js \
 && test -f dist/apps/media/src/sandbox/parser-worker.mjs \
 && test -f dist/scripts/migrate.js \
 && test -f dist/web/index.html

# ---------------------------------------------------------------------------------------------
# web: nginx serving dist/web. Runs as nginx's unprivileged uid 101 on port 8080 (health on 8081),
# with pid and temp files under /tmp, so it works with a read-only root file system.
FROM nginx:${NGINX_VERSION}-alpine AS web
RUN rm -f /etc/nginx/conf.d/default.conf
COPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf
COPY deploy/nginx/snippets/ /etc/nginx/snippets/
# Default site: static only (Kubernetes, where the HTTPRoute/Ingress routes). docker compose mounts
# deploy/nginx/front-door.conf over it to add the routing to auth, media and the gateways.
COPY deploy/nginx/web.conf /etc/nginx/conf.d/default.conf
COPY --from=build /app/dist/web /usr/share/nginx/html
# Renders the set_real_ip_from lines from TRUSTED_PROXIES into /tmp, then execs nginx.
COPY deploy/docker/web-entrypoint.sh /usr/local/bin/web-entrypoint.sh
USER 101
EXPOSE 8080 8081
# QUIT is nginx's graceful stop: finish in-flight requests, then exit.
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8081/healthz || exit 1
# Not the nginx image's entrypoint scripts (they rewrite /etc/nginx/conf.d as root): ours only
# writes under /tmp, then execs nginx, which stays PID 1.
ENTRYPOINT ["/bin/sh", "/usr/local/bin/web-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]

# ---------------------------------------------------------------------------------------------
# runtime (default target): production dependencies only, compiled output, non-root.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# tini as PID 1: Node as PID 1 gets no default signal handlers from the kernel and does not reap
# zombies; tini forwards SIGTERM/SIGINT to the app (whose shutdown hooks drain) and reaps orphans.
# It is in the image rather than left to `docker run --init` because Kubernetes has no --init.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# --omit=dev: no TypeScript, Vite, jest or s3rver in production. Native modules (sharp, argon2)
# come as prebuilt optional dependencies for linux-x64/arm64 glibc, hence a Debian (glibc) base.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev
COPY --from=build /app/dist ./dist
COPY deploy/docker/entrypoint.sh deploy/docker/healthcheck.cjs ./deploy/docker/
# Everything above is owned by root and read-only for the app user: a compromised process cannot
# rewrite its own code. `node` (uid 1000) is the unprivileged user of the official image.
USER node
EXPOSE 3001 3002 3003
STOPSIGNAL SIGTERM
# Finds which app runs in the container and asks its /readyz (see deploy/docker/healthcheck.cjs).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.cjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/docker/entrypoint.sh"]
CMD ["help"]
