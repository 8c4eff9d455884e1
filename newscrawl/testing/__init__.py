"""Local HTTP servers and generated sites for the demo, the tests and the bench (127.0.0.1 only).

* ``newscrawl.testing.server`` — a static site server (the mirror's rules) with scripted fault routes;
* ``newscrawl.testing.sitegen`` — a generated WordPress-like news site.
"""
