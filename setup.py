"""Only for scrapyd-deploy, which builds the project's egg with ``python setup.py bdist_egg``.

Everything (name, packages, package data, the ``scrapy`` settings entry point) is in pyproject.toml;
without this file scrapyd-deploy would write its own setup.py, whose package list misses the data.
"""

from setuptools import setup

setup()
