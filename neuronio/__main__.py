"""`python -m neuronio` runs the `neuronio` command."""

import sys

from neuronio.cli import main

sys.exit(main())
