"""The local world the cockpit runs against: Azurite, an Entra ID simulator, a Dataverse simulator,
a demo CRM page and the stack runner that starts them (used by `make run` and by the tests)."""
