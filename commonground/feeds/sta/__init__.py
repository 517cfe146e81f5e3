"""OGC SensorThings API 1.1 over the feeds' tables, at ``/sta/v1.1/`` (issue 18, read face 2).

No library was taken: django-ogc-sensorthings keeps its own models (UUID ids) behind an
adapter, django-sensorthings needs Django 6 and REST framework, sensorAtlas PostGIS. This
is the subset the hub needs: ``entities`` maps the eight entity sets onto our models,
``filters`` parses ``$filter`` into ``Q`` (no text reaches SQL), ``options`` reads the other
query options, ``views`` answers reads, ``writes`` takes Observations (single and DataArray).
"""
