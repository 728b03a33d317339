"""Start-up: a command imports only what it needs. `version` loads no cluster client, no TUI, no
decoder; the machine-readable outputs (-o json|yaml) never load the TUI, even on a terminal."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("kubernetes", "textual", "rich", "msgspec", "yaml", "urllib3", "pydantic")


def loaded_after(script: str) -> dict:
    """Run `script` in a fresh interpreter; it leaves its result in `out`; returns it with the modules."""
    code = (
        "import sys, json, io\n"
        "from kubectl_mem.cli.env import Env\nfrom kubectl_mem.cli.run import main\n"
        f"{script}\n"
        "mods = sorted({m.split('.')[0] for m in sys.modules})\n"
        "sys.__stdout__.write(json.dumps({'out': out, 'modules': mods}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_version_imports_nothing_heavy():
    r = loaded_after(
        "buf = io.StringIO(); code = main(['version'], Env(stdout=buf)); out = [code, buf.getvalue()]"
    )
    assert r["out"][0] == 0 and r["out"][1].startswith("kubectl-mem ")
    assert [m for m in HEAVY if m in r["modules"]] == []
    assert "dataclasses" not in r["modules"] and "inspect" not in r["modules"]


def test_importtime_of_version():
    """The same through `python -X importtime -m kubectl_mem version`, as a user would check it."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kubectl_mem", "version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("kubectl-mem ")
    names = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    imported = {name.split(".")[0] for name in names}
    assert [m for m in HEAVY if m in imported] == []
    # `version` answers in kubectl_mem.cli.entry, before the command line machinery is loaded
    assert "argparse" not in names and "typing" not in names
    assert sorted(n for n in names if n.startswith("kubectl_mem")) == [
        "kubectl_mem",
        "kubectl_mem.cli",
        "kubectl_mem.cli.entry",
    ]


def test_json_and_yaml_outputs_never_import_the_tui_even_on_a_terminal():
    script = """
out = []
runs = (['top', '--demo', '-o', 'json'], ['nodes', '--demo', '-o', 'yaml'], ['top', '--demo', '-o', 'wide'])
for args in runs:
    buf = io.StringIO()
    code = main(args, Env(stdout=buf, stderr=io.StringIO(), stdout_isatty=True))
    out.append([code, buf.getvalue()])
doc = json.loads(out[0][1])
pod = doc['items'][0]
buf = io.StringIO()
code = main(['explain', '--demo', '-n', pod['namespace'], pod['name'], '-o', 'json'],
            Env(stdout=buf, stderr=io.StringIO(), stdout_isatty=True))
out.append([code, buf.getvalue()])
"""
    r = loaded_after(script)
    top, nodes, wide, explain = r["out"]
    assert top[0] in (0, 3) and json.loads(top[1])["items"]
    assert nodes[0] in (0, 3) and "items" in nodes[1]
    assert wide[0] in (0, 3) and wide[1]
    assert explain[0] in (0, 3) and json.loads(explain[1])
    assert "textual" not in r["modules"]
    # kubeconfigs are read without the `kubernetes` client (~180 ms of imports: pydantic, requests,
    # oauthlib), which only an auth-provider user loads
    assert [m for m in ("kubernetes", "pydantic", "requests", "oauthlib") if m in r["modules"]] == []
