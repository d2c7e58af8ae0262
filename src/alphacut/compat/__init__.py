"""Drop-ins for code written against other background removers.

``alphacut.compat.rembg`` stands in for ``rembg`` (``remove``, ``new_session``); the field mappings
of the HTTP drop-ins (remove.bg's ``POST /v1.0/removebg``, rembg's ``/api/remove``) live here too,
as pure functions from the other tool's parameters to :class:`alphacut.pipeline.RemoveOptions`
values, so the server only reads requests and writes responses.
"""
