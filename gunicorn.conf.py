"""gunicorn settings, read from the environment: `gunicorn -c gunicorn.conf.py config.wsgi`.

Sync workers: each request holds one worker; uploads are streamed to disk above 2 MiB and
capped by RESUME_MAX_BYTES, so a slow client ties up one worker, not memory. Put a proxy
(nginx, a load balancer) in front to buffer slow clients and end TLS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Workers: (2 x cores) + 1 is gunicorn's rule of thumb for sync workers.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
# A request running longer than this gets its worker killed and restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then so a slow leak cannot grow without bound; jitter keeps
# them from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 100))
# Request line and headers stay small; the body is Django's business.
limit_request_line = 8190
limit_request_fields = 100

# Logs to stdout/stderr for the process manager. The access line carries the request id
# that config.middleware.RequestIdMiddleware put on the response, and the time in ms. It
# names the path (%(U)s), never the query string (%(r)s and %(q)s would): a search for a
# prospect's name or address would sit in the logs, out of reach of any erasure.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
# Proxies whose X-Forwarded-* headers gunicorn trusts (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "leads-web"
