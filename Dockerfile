# kefu: the same install as README's first command, then `kefu serve`.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake git \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . /app

# llama-cpp-python compiles llama.cpp: a portable CPU build (GGML_NATIVE=OFF) for any x86_64 host.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BLAS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAVA_BUILD=OFF"
RUN python -m venv /app/.venv && /app/.venv/bin/pip install -c .constraints.txt -e .

ENV KEFU_DATA_DIR=/data PATH="/app/.venv/bin:${PATH}"
VOLUME /data
EXPOSE 8000
CMD ["kefu", "serve", "--host", "0.0.0.0", "--port", "8000"]
