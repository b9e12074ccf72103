# The imatinib-advisor CDS Hooks service. Build: docker build -t imatinib-advisor .
# Run:   docker run -p 8000:8000 -e ADVISOR_CDS_REPORT_KEY=... imatinib-advisor
# durable-rules is a source package (compiles on install); its release imports on 3.11/3.12 (3.13 needs tools/build_durable.py).
FROM python:3.12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY advisor ./advisor
COPY rulebooks ./rulebooks
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[serve]'

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 advisor
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels 'imatinib-advisor[serve]' && rm -rf /wheels
# The wheel carries the rulebook as package data; ADVISOR_RULEBOOK=/path names another.
ENV PYTHONUNBUFFERED=1
USER advisor
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# One worker per core the container is given; replicas behind any load balancer scale it out.
CMD ["advisor", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
