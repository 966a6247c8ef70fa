"""A Dataverse Web API simulator for local runs and integration tests (see README.md).

It plays one or more Dynamics 365 orgs over https: bearer tokens from the Entra ID simulator,
per-user privileges and column security, real error bodies and codes, metadata with type casts,
``$batch``, ``UpdateMultiple`` and scriptable service-protection faults with a request log.
"""
