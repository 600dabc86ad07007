FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY foitrack foitrack
COPY requests_app requests_app
COPY aggregation aggregation
COPY manage.py ./
RUN pip install --no-cache-dir .
RUN useradd --create-home app && mkdir -p /data/media && chown app /data/media
USER app
EXPOSE 8000
