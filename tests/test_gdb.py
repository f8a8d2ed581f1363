#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The gdb extension (tools/gdb/ringo.py) in batch mode against a live
program (tests/gdb_target.c): `info ringo-tasks` lists its tasks with what
they wait on and where, `ringo-bt TASK` shows a suspended task's stack.
Usage: test_gdb.py GDB_TARGET RINGO_PY. Exit 77 (skip) without gdb."""
import shutil
import subprocess
import sys

target, script = sys.argv[1], sys.argv[2]
if not shutil.which("gdb"):
    print("gdb is not installed")
    sys.exit(77)
cmd = ["gdb", "-nx", "-batch",
       "-ex", "set debuginfod enabled off",
       "-ex", "source " + script,
       "-ex", "break gdb_stop_here",
       "-ex", "run",
       "-ex", "info ringo-tasks",
       "-ex", "ringo-bt sleeper",
       "-ex", "ringo-bt waiter",
       "-ex", "bt 1",
       "-ex", "continue",
       target]
out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
text = out.stdout + out.stderr
print(text)


def need(s):
    if s not in text:
        print("MISSING: %r" % s)
        sys.exit(1)


need("3 tasks (loop ")
need(" main  running")
need(" sleeper  suspended  sleep, kernel op in flight")
need(" waiter  suspended  future await, waiting to be woken, target 0x")
need("at nap gdb_target.c:")
# ringo-bt: the sleeper's own stack, down to its body, not main's
bt = text.split("ringo-bt")[0]
need("in nap () at ")
need("in sleeper (")
need("in waiter (")
# registers restored: the program's own frame is gdb_stop_here, and it ends well
need("#0  gdb_stop_here ()")
need("done 0")
print("ok")
