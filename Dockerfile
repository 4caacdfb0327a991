# syntax=docker/dockerfile:1
#
# deepsift worker image: `deepsift worker <stage>`, `deepsift weights fetch`, `deepsift submit`.
#
# CPU image (default):
#   docker build -t deepsift:0.1.0 .
# GPU image (CUDA execution provider for ONNX Runtime; Node is copied in from the build stage):
#   docker build -t deepsift:0.1.0-cuda \
#     --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 \
#     --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 .
#   The base must carry the CUDA 12 runtime and cuDNN 9 that onnxruntime-node's CUDA
#   provider links against; check the ONNX Runtime release notes for the version in
#   package-lock.json before picking a tag.
#
# Weights are not baked in: run `deepsift weights fetch` once into the cache volume
# (DEEPSIFT_CACHE_DIR, /var/cache/deepsift) as an init step; see deploy/README.md.

ARG BUILD_IMAGE=node:20-bookworm-slim
ARG BASE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
# `skip` leaves out onnxruntime-node's CUDA provider download (CPU inference); `cuda12`
# fetches it.
ARG ONNXRUNTIME_NODE_INSTALL=skip
ENV ONNXRUNTIME_NODE_INSTALL=${ONNXRUNTIME_NODE_INSTALL}
WORKDIR /app

COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` script builds the sources, which are not
# copied yet (this layer stays cached while only sources change). onnxruntime-node's
# install script (the optional CUDA download, denied in package.json's allowScripts) is run
# explicitly; with ONNXRUNTIME_NODE_INSTALL=skip it does nothing.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && node node_modules/onnxruntime-node/script/install

COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# The same Node.js 20 as the build stage, so that a CUDA base without Node works too
# (on node:20-bookworm-slim this replaces the binary with an identical one).
COPY --from=build /usr/local/bin/node /usr/local/bin/node

# A fixed non-root uid/gid (10001): Ubuntu-based CUDA images already use 1000.
RUN groupadd --system --gid 10001 deepsift \
 && useradd --system --uid 10001 --gid deepsift --home-dir /home/deepsift --create-home --shell /usr/sbin/nologin deepsift \
 && mkdir -p /var/cache/deepsift \
 && chown deepsift:deepsift /var/cache/deepsift

WORKDIR /app
# package.json marks the package root: the model manifests are read from
# <root>/weights/models and the version from package.json at run time.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/weights/models ./weights/models

ENV NODE_ENV=production \
    DEEPSIFT_CACHE_DIR=/var/cache/deepsift \
    DEEPSIFT_METRICS_PORT=9464

USER 10001:10001
# Prometheus metrics of `deepsift worker` (DEEPSIFT_METRICS_PORT).
EXPOSE 9464

# `node bin/deepsift.js`, by absolute path so that a changed working directory still works.
ENTRYPOINT ["node", "/app/bin/deepsift.js"]
CMD ["--help"]
