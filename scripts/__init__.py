"""Deployment helpers run by the azd hooks (azure.yaml) or by hand.

Standard library only: they run on the deployer's machine before any virtual environment exists.
They call the Azure CLI (``az``) for Microsoft Graph, Azure Resource Manager and Key Vault, and
never print, log or pass on the command line a secret value.
"""
