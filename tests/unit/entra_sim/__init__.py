"""Entra ID simulator logic, in memory (no HTTP)."""
