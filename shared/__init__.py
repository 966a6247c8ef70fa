"""Everything behind the HTTP edge: domain (pure), services (use cases), ports, adapters (I/O),
settings and the composition root."""
