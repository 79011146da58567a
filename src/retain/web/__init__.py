"""Every HTML page: the staff dashboard (``pages/``), the pages customers open (``public/``),
one Jinja environment (``rendering.py``) and the templates of all of them (``templates/``)."""
