from kubectl_mem.cli import main

raise SystemExit(main())
