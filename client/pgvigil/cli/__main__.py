"""python -m pgvigil.cli: the same as the pgvigil command."""

import sys

from pgvigil.cli import main

sys.exit(main())
