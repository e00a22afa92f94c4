FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml ./
COPY aggregator ./aggregator
COPY events ./events
COPY projects ./projects
COPY templates ./templates
COPY manage.py Procfile ./
RUN pip install .
EXPOSE 8000
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "aggregator.wsgi:application"]
