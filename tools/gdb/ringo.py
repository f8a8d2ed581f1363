# SPDX-License-Identifier: MIT
# gdb extension for ringo programs (load with `source ringo.py`, or let gdb
# auto-load it: it is installed as libringo.so.0's -gdb.py script).
#
#   info ringo-tasks     the running loop's tasks, one a line, as the task
#                        dump shows them: name, state, what it waits on,
#                        where it awaits
#   ringo-bt TASK        the backtrace of a suspended task (by name, or by
#                        address), unwound from the registers its fiber
#                        saved when it switched out
#
# Works on a live process (registers are switched for the backtrace and
# restored after) and on the loop of the selected thread. Needs libringo's
# debug information (meson's default debugoptimized build has it).
import gdb

SAVED = ["r15", "r14", "r13", "r12", "rbx", "rbp"]   # lib/core/arch/switch_x86_64.S
STATES = {0: "scheduled", 1: "started", 2: "done"}     # lib/core/task.c T_*
WAIT_STATES = {0: "kernel op in flight", 1: "waiting to be woken",
               2: "woken", 3: "cancel sent"}


def loop():
    try:
        lp = gdb.parse_and_eval("ringo__loop")
    except gdb.error:
        raise gdb.GdbError("no ringo__loop here: is libringo loaded, with debug info?")
    if int(lp) == 0:
        raise gdb.GdbError("no ringo loop runs on the selected thread")
    return lp


def tasks():
    lp = loop()
    ttype = gdb.lookup_type("struct ringo_task")
    off = None
    for f in ttype.fields():
        if f.name == "node":
            off = f.bitpos // 8
    head = lp["tasks"].address
    n = lp["tasks"]["next"]
    out = []
    while int(n) != int(head):
        t = gdb.Value(int(n) - off).cast(ttype.pointer())
        out.append(t)
        n = n["next"]
    return lp, out


def name(t):
    if int(t["name"]) != 0:
        return t["name"].string()
    return t["auto_name"].string()


def function(addr):
    """(file stem, function name) of the code at addr."""
    b = gdb.block_for_pc(addr)
    while b is not None and b.function is None:
        b = b.superblock
    if b is None:
        return "", "??"
    f = b.function
    stem = f.symtab.filename.split("/")[-1].rsplit(".", 1)[0] if f.symtab else ""
    return stem, f.name


def site(addr):
    sal = gdb.find_pc_line(addr - 1)
    if sal.symtab is not None:
        return "%s:%d" % (sal.symtab.filename.split("/")[-1], sal.line)
    return "0x%x" % addr


def what(t):
    """What a suspended task waits on: the kind of wait (named after the
    describe function the dump would call: lib/<folder>/<stem>.c describe_<verb>),
    its state and its target."""
    w = t["wait"]
    if int(w) == 0:
        return ""
    desc = int(w["describe"])
    if desc:
        stem, fn = function(desc)
        verb = fn.replace("describe_", "")
        kind = stem if verb == stem else "%s %s" % (stem, verb)
    else:
        kind = "unknown"
    text = "%s, %s" % (kind, WAIT_STATES.get(int(w["state"]), "?"))
    if kind == "io":
        io = w.cast(gdb.lookup_type("struct ringo__io").pointer())
        text += ", fd %d, opcode %d" % (int(io["fd"]), int(io["opcode"]))
    target = int(w["target"])
    if target:
        text += ", target 0x%x" % target
    return text


def saved_regs(t):
    sp = int(t["fiber"]["sp"])
    if sp == 0:
        return None
    u64 = gdb.lookup_type("unsigned long").pointer()
    p = gdb.Value(sp).cast(u64)
    regs = {r: int(p[i]) for i, r in enumerate(SAVED)}
    regs["rip"] = int(p[6])
    regs["rsp"] = sp + 7 * 8
    return regs


class Frames:
    """Switches the selected thread's registers to a suspended task's and
    back."""

    def __init__(self, t):
        self.regs = saved_regs(t)

    def __enter__(self):
        gdb.execute("select-frame 0", to_string=True)
        self.old = {r: int(gdb.parse_and_eval("$" + r)) for r in self.regs}
        for r, v in self.regs.items():
            gdb.execute("set $%s = %d" % (r, v), to_string=True)
        return self

    def __exit__(self, *exc):
        gdb.execute("select-frame 0", to_string=True)
        for r, v in self.old.items():
            gdb.execute("set $%s = %d" % (r, v), to_string=True)
        return False


def call_site(t):
    """The first frame of the task's stack outside ringo."""
    if saved_regs(t) is None:
        return ""
    try:
        with Frames(t):
            f = gdb.newest_frame()
            while f is not None:
                fn = f.name() or ""
                sal = f.find_sal()
                fname = sal.symtab.filename if sal.symtab else ""
                if not fn.startswith("ringo") and "/lib/" not in fname and fn not in (
                        "entry", "wait_suspend", "sleep_op"):
                    return "%s %s:%d" % (fn, fname.split("/")[-1], sal.line) if sal.symtab else fn
                f = f.older()
    except gdb.error:
        pass
    return ""


def find(arg):
    lp, ts = tasks()
    for t in ts:
        if name(t) == arg or ("0x%x" % int(t)) == arg.lower():
            return t
    raise gdb.GdbError("no task %s (info ringo-tasks lists them)" % arg)


class InfoTasks(gdb.Command):
    """info ringo-tasks: lists the tasks of the selected thread's ringo loop."""

    def __init__(self):
        super().__init__("info ringo-tasks", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        lp, ts = tasks()
        cur = int(lp["current"])
        print("%d task%s (loop %d)" % (len(ts), "" if len(ts) == 1 else "s", int(lp["id"])))
        for t in ts:
            st = "running" if int(t) == cur else (
                "suspended" if int(t["wait"]) else STATES.get(int(t["phase"]), "?"))
            line = "0x%x %s  %s" % (int(t), name(t), st)
            w = what(t)
            if w:
                line += "  " + w
            s = call_site(t) if int(t) != cur and int(t["wait"]) else ""
            if s:
                line += "  at " + s
            print(line)


class TaskBt(gdb.Command):
    """ringo-bt TASK: the backtrace of a suspended ringo task (its name, as in
    info ringo-tasks, or its address)."""

    def __init__(self):
        super().__init__("ringo-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        t = find(arg.strip())
        if saved_regs(t) is None or int(t["wait"]) == 0:
            raise gdb.GdbError("task %s is not suspended (it has no saved registers)" % name(t))
        with Frames(t):
            gdb.execute("backtrace")


InfoTasks()
TaskBt()
