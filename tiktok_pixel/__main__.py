"""``python -m tiktok_pixel``."""

import sys

from .cli import main

sys.exit(main())
