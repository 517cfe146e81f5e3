"""Pure place logic for Common Ground: manifests, boundaries, lookups, indicators, maps.

Nothing in this package imports Django, so it can be used from the CLI, notebooks and
benchmarks, and tested without a database. The Django app ``commonground.places`` stores
what this package reads and serves it.
"""
