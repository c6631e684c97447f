"""python -m bntui"""

from bntui.cli import entry

entry()
