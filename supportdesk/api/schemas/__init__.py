"""API schemas (pydantic), one module per part of the API: they validate input and generate the
OpenAPI document."""
