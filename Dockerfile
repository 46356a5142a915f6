# syntax=docker/dockerfile:1
# Two targets:
#   docker build --target cpu -t fewshot:cpu .   TensorFlow.js on the CPU (our oneDNN kernels; libtensorflow via tfjs-node; wasm)
#   docker build --target gpu -t fewshot:gpu .   CUDA 11.8 + cuDNN 8 for tfjs-node-gpu, and Vulkan for the webgpu backend
# Both run `fewshot` (ENTRYPOINT) as the unprivileged user `node`; the command picks the role:
# serve | serve --with-worker | worker. Workers serve GET /healthz on FEWSHOT_WORKER_HEALTH_PORT
# (8081 here), the API on PORT: the one HEALTHCHECK (bin/healthcheck.js) asks whichever is set.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS node

# ---- dependencies: production only; the optional native/GPU backends per target ----
# --omit=optional also drops sharp's prebuilt binaries (optional dependencies of sharp): the
# ones for this platform are put back by name, and a JPEG round trip proves the decoder works.
FROM node AS deps-cpu
# The native CPU kernels (native/) are built by npm ci's install script: a compiler and oneDNN,
# for any x86-64 (oneDNN itself picks AVX2/AVX-512 at run time).
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ libdnnl-dev \
 && rm -rf /var/lib/apt/lists/*
ENV FEWSHOT_NATIVE_PORTABLE=1
WORKDIR /app
COPY native ./native
COPY package.json package-lock.json ./
COPY bin/sharp-platform-packages.cjs ./bin/
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npm install --no-save --omit=dev --omit=optional --no-audit --no-fund $(node bin/sharp-platform-packages.cjs) \
 && node -e "const s=require('sharp');s({create:{width:2,height:2,channels:3,background:'#888'}}).jpeg().toBuffer().then(b=>s(b).raw().toBuffer())" \
 && (npm install --no-save --omit=dev --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 || echo "tfjs-node unavailable: the wasm backend will be used")


# ---- cpu ----
FROM node AS cpu
RUN apt-get update \
 && apt-get install -y --no-install-recommends libdnnl2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    FEWSHOT_DATA_DIR=/data \
    FEWSHOT_BACKEND=auto \
    PORT=8080 \
    FEWSHOT_WORKER_HEALTH_PORT=8081
WORKDIR /app
COPY --from=deps-cpu /app/node_modules ./node_modules
COPY --from=deps-cpu /app/native/build ./native/build
COPY package.json openapi.yaml tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/fewshot.js"]
CMD ["serve"]

# ---- gpu ----
# libtensorflow 2.9 (tfjs-node-gpu 4.22) is built for CUDA 11.2 + cuDNN 8.1; CUDA 11.x minor-version
# compatibility lets it run on this 11.8 runtime. Node comes from the official image. The
# dependencies are installed on this same base so native addons match its glibc.
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04 AS gpu-base
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libvulkan1 \
 && rm -rf /var/lib/apt/lists/*

FROM gpu-base AS deps-gpu
WORKDIR /app
# npm ci's install script looks for the native kernels' sources; without a compiler here it
# says so and skips them (CUDA comes first on this target).
COPY native ./native
COPY package.json package-lock.json ./
COPY bin/sharp-platform-packages.cjs ./bin/
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund \
 && npm install --no-save --omit=dev --omit=optional --no-audit --no-fund $(node bin/sharp-platform-packages.cjs) \
 && node -e "const s=require('sharp');s({create:{width:2,height:2,channels:3,background:'#888'}}).jpeg().toBuffer().then(b=>s(b).raw().toBuffer())" \
 && npm install --no-save --omit=dev --no-audit --no-fund @tensorflow/tfjs-node-gpu@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2

FROM gpu-base AS gpu
# compute: CUDA for tfjs-node-gpu; graphics: the Vulkan driver the webgpu backend (Dawn) runs on.
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
    NODE_ENV=production \
    FEWSHOT_DATA_DIR=/data \
    FEWSHOT_BACKEND=auto \
    PORT=8080 \
    FEWSHOT_WORKER_HEALTH_PORT=8081
RUN useradd --create-home --uid 1000 node \
 && mkdir -p /data && chown node:node /data
WORKDIR /app
COPY --from=deps-gpu /app/node_modules ./node_modules
COPY package.json openapi.yaml tsconfig.json ./
COPY bin ./bin
COPY src ./src
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/fewshot.js"]
CMD ["worker"]
