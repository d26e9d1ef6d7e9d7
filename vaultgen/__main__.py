import sys

from vaultgen.cli import main

sys.exit(main())
