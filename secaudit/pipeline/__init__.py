"""The audit pipeline as a library: what the command line, the portal and scan workers share.

It sits between the domain (model, catalog, assess, risk, gate, report renderers, store)
and the interfaces. Each module is one step: a ``Session`` opens a workspace, its catalog
and its database (``session``); ``evaluation`` gathers a service's evidence and judges it;
``reporting`` builds report input and writes reports; ``dashboard`` judges a portfolio;
``audit`` runs scan, evaluation, reports and register for one service; ``records`` writes
and reads what an officer decides (reviews, treatments, decisions, retention).
Nothing here prints or chooses an exit code: that is the interface's job.
"""
