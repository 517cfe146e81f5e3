"""Activity: the kernel every feature app shares. People follow things (a place, a dataset, a
request, a group, a consultation), what happens to them is recorded as events, followers get
notifications, feeds and email digests; plus the helpers every form's use cases share.

It imports no feature app: feature apps register the kinds of things they own
(``things.register``) and the sections they add to other apps' pages (``sections.register``)
in their ``AppConfig.ready``.
"""
