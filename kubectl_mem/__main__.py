from kubectl_mem.entry import main

raise SystemExit(main())
