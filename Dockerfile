# kefu: the API (`kefu serve`), ingest workers (`kefu worker`) and the Chroma server (`chroma run`)
# from one image. Topology and commands: README, "Deploying with Docker Compose".

# Build stage: compilers live here only. llama-cpp-python compiles llama.cpp: a portable CPU build
# (GGML_NATIVE=OFF) for any x86_64 host.
FROM python:3.11-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake git \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml .constraints.txt README.md ./
COPY ingest ingest
COPY assistant assistant
COPY eval eval
COPY api api
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF"
# A regular (not editable) install: the final stage copies the venv alone, at the same path
# (its scripts name their interpreter by absolute path).
RUN python -m venv /opt/kefu \
 && /opt/kefu/bin/pip install --no-cache-dir -c .constraints.txt .

# Final stage: the venv and the OpenMP runtime llama.cpp links to; no compilers, not root.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/kefu kefu \
 && mkdir /data && chown kefu:kefu /data
COPY --from=build /opt/kefu /opt/kefu
ENV PATH="/opt/kefu/bin:${PATH}" KEFU_DATA_DIR=/data PYTHONUNBUFFERED=1
USER kefu
WORKDIR /home/kefu
VOLUME /data
EXPOSE 8000
# /readyz answers 503 until the database, Chroma, the embedder and the LLM are usable; urlopen
# raises on it. The first start loads the models (start period).
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=8)"]
CMD ["kefu", "serve", "--host", "0.0.0.0", "--port", "8000"]
