"""Azure Functions entry point: the FastAPI app behind one anonymous catch-all HTTP function
(host.json sets routePrefix "" so routes are served at /), plus the timer functions. Nothing else
happens here."""

import azure.functions as func

from functions.app import create_app

app = func.AsgiFunctionApp(app=create_app(), http_auth_level=func.AuthLevel.ANONYMOUS)
