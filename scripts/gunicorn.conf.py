"""gunicorn's settings for Shanlian's web processes: `gunicorn -c scripts/gunicorn.conf.py wsgi:app`.

Each setting can be moved by the environment (systemd's EnvironmentFile, docs/production.md), so one
file serves every host. The app's own settings (database, Redis, the photo bucket) are read by the
app from the same environment; nothing here is needed for correctness, only for capacity.
"""

from __future__ import annotations

import multiprocessing
import os

# Behind nginx on the same host: listen on the loopback only (nginx passes X-Forwarded-For, and the
# app trusts PROXY_COUNT=1 proxy). A host behind a load balancer on another machine binds its address.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes × threads: pages mostly wait on PostgreSQL, so each process serves a few requests at once.
# Two processes per core keep a core busy while the other waits; a process that dies is replaced.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# A request that takes longer than this is killed (the unit of work rolls it back with its connection).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30  # a restart lets running requests finish first
keepalive = 5  # nginx keeps connections to us open between requests

# Recycled now and then, so a slow leak in any library never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200

# The app is imported in each worker after the fork (no shared connections or clients to worry about).
preload_app = False

# Logs to the journal (stdout/stderr under systemd). The access log leaves query strings out: a staff
# search for a name, phone or ID number travels in one, and must not land in a log file.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "shanlian-web"

# nginx in front buffers slow clients; uploads are bounded by MAX_CONTENT_LENGTH (16 MB) in the app.
limit_request_line = 8190
