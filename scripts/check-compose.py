#!/usr/bin/env python3
"""Structural checks of compose.yaml and compose.postgres.yaml that need no container engine.

Checks what the deployments promise: the services and their order, health checks, one published
port (the proxy's) so that `--scale` works, the spool shared by worker and stream (compose.yaml)
or no volume but Postgres's at all with EVENT_LOG=postgres (compose.postgres.yaml), secrets from
the environment, the proxy's configuration files present. Prints one line per problem; exit 1 if any.
"""
import os
import re
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def check_file(file_name, event_log):
    global problems
    before = len(problems)
    with open(os.path.join(root, file_name), encoding="utf-8") as handle:
        text = handle.read()
    compose = yaml.safe_load(text)
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
    if event_log == "spool":
        check("spool" in (compose.get("volumes") or {}), "volume spool is not declared")
        for name in ["worker", "stream"]:
            volumes = [str(v) for v in services.get(name, {}).get("volumes", [])]
            check(any(v.startswith("spool:/spool") for v in volumes), f"{name} does not mount the shared spool volume")
            check(services.get(name, {}).get("environment", {}).get("SPOOL_DIR") == "/spool", f"{name}: SPOOL_DIR is not /spool")
    else:
        check(list(compose.get("volumes") or {}) == ["pgdata"], "a volume besides Postgres's is declared: nothing may need a shared disk")
        for name in ["gateway", "worker", "stream"]:
            check("volumes" not in services.get(name, {}), f"{name} mounts a volume: instances must not need a disk")
            check(services.get(name, {}).get("environment", {}).get("EVENT_LOG") == "postgres", f"{name}: EVENT_LOG is not postgres")

    migrate = services.get("migrate", {})
    check(migrate.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy", "migrate does not wait for a healthy postgres")
    check("migrate" in " ".join(migrate.get("command", [])), "migrate does not run the migration")
    check("name" not in compose, "a top-level name: is refused by docker-compose 1.29 (set COMPOSE_PROJECT_NAME in .env)")
    for name in ["gateway", "worker", "stream"]:
        depends = services.get(name, {}).get("depends_on", {})
        check(depends.get("migrate", {}).get("condition") == "service_completed_successfully", f"{name} does not wait for the migration")
        # Compose stops in reverse dependency order: Postgres and the proxy must outlive the services.
        check(depends.get("postgres", {}).get("condition") == "service_healthy", f"{name} does not depend on postgres, which could stop first")
        check("proxy" in depends, f"{name} does not depend on the proxy, which would stop first and cut streams")
        url = str(services.get(name, {}).get("environment", {}).get("DATABASE_URL", ""))
        userinfo = url.split("//")[-1].split("@")[0] if "@" in url else ""
        check(":" not in userinfo, f"{name}: the password is pasted into DATABASE_URL (a / in it breaks the URL)")
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
            check(match.group(1).startswith("${"), f"{secret} is written into the file")

    for name in ["stream", "proxy"]:
        nofile = services.get(name, {}).get("ulimits", {}).get("nofile", {})
        check("${" in str(nofile), f"{name}: the nofile limit is fixed; an engine with a lower limit refuses to start it")
    check(any("nginx.conf:/etc/nginx/nginx.conf" in str(v) for v in proxy.get("volumes", [])), "the proxy runs the image's own nginx.conf (1,024 connections)")
    problems[before:] = [f"{file_name}: {p}" for p in problems[before:]]


check_file("compose.yaml", "spool")
check_file("compose.postgres.yaml", "postgres")

nginx = open(os.path.join(root, "deploy/nginx/tutorline.conf"), encoding="utf-8").read()
check("proxy_buffering off" in nginx, "nginx buffers event streams")
check("proxy_read_timeout" in nginx, "nginx keeps its default 60 s read timeout on streams")

for problem in problems:
    print(problem)
print(f"compose check: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
