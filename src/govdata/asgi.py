"""`uvicorn govdata.asgi:app`: the app built from environment settings."""

from govdata.app import create_app

app = create_app()
