"""Run a command and write its wall time, peak RSS and exit code as JSON to a file.

A benchmark that holds a big cluster in memory cannot measure a child's peak RSS itself: a forked
child is charged with the parent's resident pages until it execs. This small process is the parent
instead. Usage: python launch.py RESULT.json COMMAND [ARG...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    result, cmd = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    with open(result, "w") as f:
        json.dump({"wall": wall, "rss_kib": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
