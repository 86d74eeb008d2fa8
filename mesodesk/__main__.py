from mesodesk.app import main

raise SystemExit(main())
