"""A bundled static copy of blog-auto-info.com (the reference mirror), served by ``newscrawl demo``.

``blog-auto-info/`` is the site as its web server answers it (see ``newscrawl.testing.server``).
"""

from importlib import resources
from pathlib import Path

DEMO_HOST = "blog-auto-info.com"
DEMO_PROFILE = "blog-auto-info"


def demo_site_dir() -> Path:
    """The directory of the bundled mirror (inside the installed package)."""
    return Path(str(resources.files(__name__).joinpath("blog-auto-info")))
