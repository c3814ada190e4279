import sys

from dfutils.cli import main

sys.exit(main())
