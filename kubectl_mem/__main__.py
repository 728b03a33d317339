from kubectl_mem.cli.entry import main

raise SystemExit(main())
