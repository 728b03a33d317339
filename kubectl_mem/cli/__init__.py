"""The command line: `kubectl mem ...` (and `kubectl_complete-mem`) from argv to an exit code.

entry.py (the executable's first code; answers `version` before anything else is imported) ->
run.py (parse with parser.py, dispatch, errors -> one line and an exit code) -> one module per
command: top.py, nodes.py, explain.py, cgroups.py (what the view commands share: shared.py).
completion.py answers kubectl's completion requests; demo.py starts the simulated cluster for
--demo; env.py holds `Env`, the process state a command touches. Exit codes: kubectl_mem/errors.py.

Keep this file free of imports: every `kubectl mem version` loads it.
"""
