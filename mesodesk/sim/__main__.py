from mesodesk.sim.cli import main

raise SystemExit(main())
