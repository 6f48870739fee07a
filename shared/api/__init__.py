"""The HTTP layer: FastAPI routes over shared/service.py, wrapped per endpoint for Lambda."""
