"""`python -m emulator`: run the Bitrix24 emulator on loopback."""

from emulator.server import main

raise SystemExit(main())
