"""The demo CRM page: a Dynamics 365-like opportunity list and form on ``http://127.0.0.1:7080``
(another site than the cockpit on ``localhost``), fed by the Dataverse simulator, running the real
web resources from ``crm/webresources`` and hosting the cockpit in its Cockpit tab.

Start: ``python -m devstack.crm_demo --help``; ``make run`` starts it as part of the stack.
"""
