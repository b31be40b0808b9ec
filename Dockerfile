# stockd: one image for API nodes and workers (docker-compose.yml runs three
# API nodes against one PostgreSQL, one NATS JetStream and one Redis).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir . && useradd --system --home /app stockd
USER stockd
ENV STOCKD_HOST=0.0.0.0 STOCKD_PORT=8000
EXPOSE 8000
# An API node with its workers; only one node's relay publishes at a time.
CMD ["stockd", "serve"]
