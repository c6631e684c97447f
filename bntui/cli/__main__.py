"""python -m bntui.cli"""

from bntui.cli import entry

entry()
