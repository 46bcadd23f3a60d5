FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY entrypoints ./entrypoints
COPY emulator ./emulator
RUN pip install --no-cache-dir . \
    && useradd --system --home /app b24names \
    && mkdir -p /app/data && chown b24names /app/data

USER b24names
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["b24names", "serve", "--host", "0.0.0.0", "--port", "8000"]
