"""The JSON API (SPEC §13): another caller of the same actions, with a bearer token.

`endpoint.py` is the adapter (token, JSON body, one transaction, problem details), `schemas.py`
the documents, `bodies.py` the request bodies derived from the actions' typed inputs,
`openapi.py` the description generated from the same `Operation` list the routes are made of,
and one module per resource.
"""
