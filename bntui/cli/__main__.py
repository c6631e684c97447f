"""python -m bntui.cli"""

import sys

from bntui.cli import main

sys.exit(main())
