"""Dynamics 365 side of the cockpit: web resources, their tests, and the solution package."""
