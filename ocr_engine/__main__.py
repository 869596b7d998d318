"""``python -m ocr_engine``: see :mod:`ocr_engine.cli`."""
import sys

from .cli import main

sys.exit(main())
