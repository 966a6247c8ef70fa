"""Entra ID simulator over real HTTP (simulator started as a subprocess)."""
