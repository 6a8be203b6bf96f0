from sync.emulator.launcher import main

raise SystemExit(main())
