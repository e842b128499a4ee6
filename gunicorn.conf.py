"""gunicorn's settings for volunteer_hub (read from the working directory): a worker per core, each with
four threads, which is what the benchmarks measure. Command-line flags override these."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = 4
timeout = 30
