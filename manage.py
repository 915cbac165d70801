#!/usr/bin/env python
"""Django's command-line utility; `tocnet` is the installed equivalent."""

import sys

from tocnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
