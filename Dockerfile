# Nightshift worker image. Stages:
#   worker  (default in docker-compose.yml): Node, git and Nightshift, running as the non-root `node` user.
#   agents  the same plus the agent CLIs from npm (claude, codex, gemini); each needs its own credentials
#           (an env file per worker: nightshift worker --env-file). Build it with --target agents or
#           NIGHTSHIFT_WORKER_TARGET=agents docker compose build.
FROM node:20-bookworm-slim AS build
WORKDIR /opt/nightshift
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim AS worker
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/nightshift /work && chown node:node /var/lib/nightshift /work
COPY --from=build /opt/nightshift /opt/nightshift
USER node
ENV NIGHTSHIFT_HOME=/var/lib/nightshift
VOLUME ["/var/lib/nightshift"]
ENTRYPOINT ["node", "/opt/nightshift/dist/src/client/index.js"]
CMD ["worker"]

FROM worker AS agents
USER root
ARG AGENT_PACKAGES="@anthropic-ai/claude-code @openai/codex @google/gemini-cli"
RUN npm install -g $AGENT_PACKAGES && npm cache clean --force
USER node
