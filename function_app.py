"""Azure Functions entry point: the FastAPI app behind one anonymous catch-all HTTP function
(host.json sets routePrefix "" so routes are served at /), plus the timer functions sharing the
same container. Nothing else happens here."""

import azure.functions as func

from functions.app import create_app
from functions.timers import timers

http_app = create_app()
app = func.AsgiFunctionApp(app=http_app, http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(timers(http_app.state.container))
