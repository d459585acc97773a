# The emulator as a container, for docker-compose. Build tools are needed for better-sqlite3
# when no prebuilt binary can be fetched.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY emulator ./emulator
COPY core ./core
COPY algorithms ./algorithms
COPY simulator ./simulator
COPY tsconfig.json ./
# The ahead-of-time build (emulator/build.mjs), so the container starts from plain JavaScript.
RUN node emulator/build.mjs
# Inside the container the emulator must listen on every interface of the container, or no
# published port reaches it. Publish it on the host's loopback only:
#   docker run -p 127.0.0.1:4599:4599 localsage
# Requests must still name an allowed Host (localhost, 127.0.0.1, [::1]); to serve other names on
# purpose (another container calling http://localsage:4599, a LAN address), list them:
#   -e LOCALSAGE_ALLOWED_HOSTS=localsage,192.168.1.10
ENV LOCALSAGE_HOST=0.0.0.0 LOCALSAGE_DATA_DIR=/data
VOLUME /data
EXPOSE 4599
CMD ["node", "emulator/bin.mjs", "serve"]
