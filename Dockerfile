FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY . .
# Editable: templates and static files stay in the app folders where Django finds them;
# the bootstrap service collects static files into DATA_DIR (docker-compose.yml).
RUN pip install -e .
EXPOSE 8000 9001/udp
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "aggregator.wsgi:application"]
