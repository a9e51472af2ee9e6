# A Nightshift worker image. Agent CLIs (claude, codex, aider, gemini) are installed on top of this
# image by you, since each needs its own credentials.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nightshift
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm ci && npm prune --omit=dev
ENV NIGHTSHIFT_HOME=/var/lib/nightshift
VOLUME ["/var/lib/nightshift", "/work"]
ENTRYPOINT ["node", "/opt/nightshift/dist/src/client/index.js"]
CMD ["worker"]
