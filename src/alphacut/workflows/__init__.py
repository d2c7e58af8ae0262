"""Workflows: multi-step jobs built from the layers below, such as ``alphacut models optimize``
(:mod:`alphacut.workflows.optimize`), which builds faster forms of a model and gates them with judge."""
