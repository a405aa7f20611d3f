#!/usr/bin/env python3
"""Structural checks of compose.yaml that need no container engine (none runs on CI machines).

Checks what the deployment promises: the services and their order, health checks, one published
port (the proxy's) so that `--scale` works, the spool shared by worker and stream, secrets from the
environment, the proxy's configuration files present. Prints one line per problem; exit 1 if any.
"""
import os
import re
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(root, "compose.yaml"), encoding="utf-8") as handle:
    text = handle.read()
compose = yaml.safe_load(text)
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


services = compose.get("services", {})
for name in ["postgres", "migrate", "gateway", "worker", "stream", "proxy"]:
    check(name in services, f"service {name} is missing")

for name, service in services.items():
    if name != "proxy":
        check("ports" not in service, f"{name} publishes ports: only the proxy may, or --scale breaks")
    if name not in ("migrate",):
        check("healthcheck" in service or name == "proxy", f"{name} has no health check")

postgres = services.get("postgres", {})
check(any(str(v).startswith("pgdata:") for v in postgres.get("volumes", [])), "postgres data is not on the named volume pgdata")
check("pgdata" in (compose.get("volumes") or {}), "volume pgdata is not declared")
check("spool" in (compose.get("volumes") or {}), "volume spool is not declared")
for name in ["worker", "stream"]:
    volumes = [str(v) for v in services.get(name, {}).get("volumes", [])]
    check(any(v.startswith("spool:/spool") for v in volumes), f"{name} does not mount the shared spool volume")
    check(services.get(name, {}).get("environment", {}).get("SPOOL_DIR") == "/spool", f"{name}: SPOOL_DIR is not /spool")

migrate = services.get("migrate", {})
check(migrate.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy", "migrate does not wait for a healthy postgres")
check("migrate" in " ".join(migrate.get("command", [])), "migrate does not run the migration")
for name in ["gateway", "worker", "stream"]:
    condition = services.get(name, {}).get("depends_on", {}).get("migrate", {}).get("condition")
    check(condition == "service_completed_successfully", f"{name} does not wait for the migration")
    environment = services.get(name, {}).get("environment", {})
    for variable in ["DATABASE_URL", "STREAM_TOKEN_SECRET", "AUTH_JWT_SECRET"]:
        check(variable in environment, f"{name}: {variable} is not set")

proxy = services.get("proxy", {})
check(len(proxy.get("ports", [])) == 1, "the proxy should publish exactly one port")
for mount in proxy.get("volumes", []):
    source = str(mount).split(":")[0]
    check(os.path.exists(os.path.join(root, source)), f"proxy mounts {source}, which does not exist")

# Secrets come from the environment, never from the file.
for secret in ["STREAM_TOKEN_SECRET", "AUTH_JWT_SECRET", "POSTGRES_PASSWORD"]:
    for match in re.finditer(rf"^\s*{secret}:\s*(\S+)", text, re.MULTILINE):
        check(match.group(1).startswith("${"), f"{secret} is written into compose.yaml")

nginx = open(os.path.join(root, "deploy/nginx/tutorline.conf"), encoding="utf-8").read()
check("proxy_buffering off" in nginx, "nginx buffers event streams")
check("proxy_read_timeout" in nginx, "nginx keeps its default 60 s read timeout on streams")

for problem in problems:
    print(f"compose.yaml: {problem}")
print(f"compose check: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
