"""``python -m chalicelib.devstack``: what ``make run`` runs."""

import sys

from chalicelib.devstack.stack import main

sys.exit(main(sys.argv[1:]))
