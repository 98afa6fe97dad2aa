# weft-gdb.py - gdb commands that show weft threads, vCPUs and stacks.
#
#   info weft-threads [STATE...]   every weft thread: id, name, group, state,
#                                  vCPU, priority, stack used/size, the gdb
#                                  thread it runs on, wait channel
#   weft-thread ID|all CMD         run any gdb command (bt, info locals,
#                                  frame 3, ...) in that weft thread
#   weft-sched                     each vCPU: what runs, its run queues by
#                                  priority, its counters
#   weft-mem                       stack memory: mapped, in use, cached,
#                                  committed; the thread table
#   $weft_thread(ID)               the struct wf_thread * of thread ID
#
# Loaded automatically from the .debug_gdb_scripts section of libweft.so or
# of a program linked with libweft.a (src/debug/gdb_scripts.c) once gdb
# trusts the file: add-auto-load-safe-path /path/to/lib-or-program. By hand:
# source /usr/local/share/weft/gdb/weft-gdb.py. See docs/debugging.md.
#
# HOW IT WORKS
# Everything is read from memory and debug info, never by calling into the
# process, so a core file works as well as a live process. The library is
# built with -g: struct layouts come from its types (gdb.lookup_type), never
# from offsets written here. The one exception is the frame that
# wf_arch_switch leaves at a suspended thread's saved stack pointer; its
# layout is fixed by src/arch/x86_64/switch.S and arch.h (FRAME below).
#
# Threads are found by walking the thread table of src/core/slot.c: the
# static `chunks` (records in chunks of 4096, never freed) and `nslots`
# (records handed out so far); a record whose state is free is skipped.
# vCPUs come from the global wf_rt. Large tables are read a chunk at a time
# and decoded here: a million threads take seconds, not an hour of
# gdb.Value field accesses.
#
# WEFT-THREAD
# A running weft thread and a bound one (main, the runtime's daemons) are on
# a host thread: the command runs in that gdb thread as it is. A suspended
# thread has no host thread; its registers are in the frame at t->sp. gdb
# cannot write registers of a core file, and writing a live process's
# registers would touch the process, so instead the command runs in the
# selected gdb thread with an unwinder that, for this command only, says
# the caller of that thread's innermost frame is the weft thread's saved
# context. Every frame from there on is the weft thread's own, unwound from
# its debug info. A frame filter hides the borrowed host frames from
# backtraces, and the weft thread's innermost frame is selected, so
# `info locals`, `p $pc`, `info registers` see the weft thread. Frame
# numbers start where the borrowed frames end (#1, or more when the host
# thread stopped inside inlined code). Rejected: `set $pc` / `set $sp`
# (Go's runtime-gdb.py): it fails on core files and writes to a live one.

import gdb

try:
    from gdb.unwinder import Unwinder, register_unwinder
except ImportError:  # gdb older than 7.10: no weft-thread for suspended threads
    Unwinder = object
    register_unwinder = None

# The frame wf_arch_switch pushes (arch.h), in 8-byte words from t->sp:
# word 0 holds MXCSR and the x87 control word, then these registers; the
# thread resumes with rsp = t->sp + 8 * FRAME_WORDS.
FRAME = (("r15", 1), ("r14", 2), ("r13", 3), ("r12", 4), ("rbx", 5), ("rbp", 6), ("rip", 7))
FRAME_WORDS = 8

# From include/weft/thread.h; used only to size cached stacks.
STACK_DEFAULT = 64 * 1024
SLOT_CHUNK = 4096  # CHUNK in src/core/slot.c


class WeftError(gdb.GdbError):
    pass


# ---- reading the process -------------------------------------------------

def _inferior():
    """The selected inferior, if it is a live process or a core file (both
    have threads; a program not started yet has none)."""
    inf = gdb.selected_inferior()
    if inf is None or not inf.threads():
        raise WeftError("weft: no process or core file")
    return inf


def _read(addr, size):
    return bytes(gdb.selected_inferior().read_memory(addr, size))


def _u64(addr):
    return int.from_bytes(_read(addr, 8), "little")


def _addr(v):
    """A pointer value as a Python int."""
    return int(v.cast(gdb.lookup_type("unsigned long")))


def _cstring(addr, limit=64):
    if not addr:
        return ""
    try:
        raw = _read(addr, limit)
    except gdb.MemoryError:
        return "?"
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def _static(name, file_tail):
    """The static variable `name` of the source file ending in file_tail."""
    syms = []
    if hasattr(gdb, "lookup_static_symbols"):  # gdb >= 10
        syms = gdb.lookup_static_symbols(name)
    else:
        s = gdb.lookup_static_symbol(name) if hasattr(gdb, "lookup_static_symbol") else None
        syms = [s] if s else []
    for s in syms:
        if s.symtab and s.symtab.filename.replace("\\", "/").endswith(file_tail):
            return s.value()
    try:  # the last resort: gdb's own file-scope syntax
        return gdb.parse_and_eval("'%s'::%s" % (file_tail.rsplit("/", 1)[-1], name))
    except gdb.error:
        raise WeftError("weft: cannot find %s in %s (is the library built with -g?)"
                        % (name, file_tail))


class Layout(object):
    """Offsets and sizes of a struct's fields, taken from its debug type."""

    def __init__(self, tname):
        try:
            self.type = gdb.lookup_type(tname).strip_typedefs()
        except gdb.error:
            raise WeftError("weft: no type %s (is the library built with -g?)" % tname)
        self.size = self.type.sizeof
        self._fields = {}

    def field(self, path):
        f = self._fields.get(path)
        if f is None:
            t, off = self.type, 0
            for part in path.split("."):
                found = [x for x in t.fields() if x.name == part]
                if not found:
                    self._fields[path] = f = (None, None)
                    return f
                off += found[0].bitpos // 8
                t = found[0].type.strip_typedefs()
            f = self._fields[path] = (off, t.sizeof)
        return f

    def get(self, buf, base, path, default=0):
        off, size = self.field(path)
        if off is None:
            return default
        return int.from_bytes(buf[base + off:base + off + size], "little")

    def raw(self, buf, base, path):
        off, size = self.field(path)
        return buf[base + off:base + off + size] if off is not None else b""


def _enum_names(tname, prefix):
    """{value: lowercase name without prefix} for an enum type."""
    try:
        t = gdb.lookup_type(tname)
    except gdb.error:
        return {}
    return {int(f.enumval): f.name[len(prefix):].lower() for f in t.fields()}


def _enum_value(name, default):
    try:
        return int(gdb.parse_and_eval(name))
    except gdb.error:
        return default


class Weft(object):
    """One look at the runtime: types, the runtime record, the threads."""

    def __init__(self):
        _inferior()
        try:
            self.rt = gdb.parse_and_eval("wf_rt")
        except gdb.error:
            raise WeftError("weft: no weft runtime in this program (no symbol wf_rt)")
        if int(self.rt["started"]) != 2:
            raise WeftError("weft: the runtime has not started (no weft call yet)")
        self.th = Layout("struct wf_thread")
        self.states = _enum_names("enum wf_state", "WF_")
        self.kinds = _enum_names("enum wf_stack_kind", "WF_STACK_")
        self.free = _enum_value("WF_FREE", 0)
        self.running = _enum_value("WF_RUNNING", 2)
        self.blocked = _enum_value("WF_BLOCKED", 3)
        self.exited = _enum_value("WF_EXITED", 4)
        self.f_bound = _enum_value("WF_TF_BOUND", 1)
        self.f_daemon = _enum_value("WF_TF_DAEMON", 2)
        self.f_idle = _enum_value("WF_TF_IDLE", 4)
        self.nvcpus = int(self.rt["nvcpus"])
        self.vcpus = [self.rt["vcpus"][i] for i in range(self.nvcpus)]
        self.vcpu_index = {_addr(self.rt["vcpus"]) +
                           i * self.vcpus[0].type.sizeof: i for i in range(self.nvcpus)}
        self._gids = {}
        self._kinds = {}
        self._syms = {}

    # -- the thread table
    def threads(self):
        """Yield (address, buffer, offset) of every record in use."""
        chunks = _static("chunks", "core/slot.c")
        n = int(_static("nslots", "core/slot.c"))
        size = self.th.size
        for c in range((n + SLOT_CHUNK - 1) // SLOT_CHUNK):
            base = _addr(chunks[c])
            count = min(SLOT_CHUNK, n - c * SLOT_CHUNK)
            if not base:
                continue
            try:
                buf = _read(base, count * size)
            except gdb.MemoryError:
                gdb.write("weft: thread table chunk %d at %#x unreadable\n" % (c, base))
                continue
            for i in range(count):
                off = i * size
                if self.th.get(buf, off, "state") != self.free:
                    yield base + off, buf, off

    def record(self, addr):
        return addr, _read(addr, self.th.size), 0

    def find(self, tid):
        for rec in self.threads():
            if self.th.get(rec[1], rec[2], "id") == tid:
                return rec
        raise WeftError("weft: no thread with id %d" % tid)

    # -- fields
    def get(self, rec, path):
        return self.th.get(rec[1], rec[2], path)

    def name(self, rec):
        if self.get(rec, "named"):
            return self.th.raw(rec[1], rec[2], "name").split(b"\0", 1)[0].decode("utf-8", "replace")
        return "weft-%d" % self.get(rec, "id")

    def state(self, rec):
        s = self.get(rec, "state")
        return self.states.get(s, "?%d" % s)

    def gid(self, rec):
        g = self.get(rec, "group")
        if g not in self._gids:
            try:
                v = gdb.Value(g).cast(gdb.lookup_type("struct wf_group").pointer())
                self._gids[g] = str(int(v.dereference()["gid"]))
            except gdb.error:
                self._gids[g] = "?"
        return self._gids[g]

    def vcpu_of(self, rec):
        """vCPU index, or None."""
        return self.vcpu_index.get(self.get(rec, "vcpu"))

    def symbolize(self, addr):
        """" <symbol+offset>" for a static address, else "". Only the first
        few thousand addresses: each costs a gdb command."""
        if addr not in self._syms:
            if len(self._syms) > 4000:
                return ""
            s = ""
            try:
                out = gdb.execute("info symbol %#x" % addr, to_string=True)
                if not out.startswith("No symbol"):
                    s = " <%s>" % out.split(" in section", 1)[0].replace(" + ", "+").strip()
            except gdb.error:
                pass
            self._syms[addr] = s
        return self._syms[addr]

    def wchan(self, rec):
        if self.get(rec, "state") != self.blocked:
            return "-"
        kp = self.get(rec, "wchan_kind")
        if not kp:
            return "-"
        if kp not in self._kinds:
            self._kinds[kp] = _cstring(kp)
        kind = self._kinds[kp]
        chan = self.get(rec, "wchan")
        if not chan:
            return kind
        if kind == "join":  # the channel is the joined thread's record
            try:
                joined = self.record(chan)
                return "join(thread %d)" % self.get(joined, "id")
            except gdb.MemoryError:
                pass
        return "%s(%#x%s)" % (kind, chan, self.symbolize(chan))

    def is_bound(self, rec):
        return bool(self.get(rec, "flags") & self.f_bound)

    def on_host(self, rec):
        """The kernel tid of the host thread this weft thread is on now, or
        None when it is suspended (its registers are at t->sp)."""
        if self.is_bound(rec):
            return self.get(rec, "host_tid") or None
        if self.get(rec, "state") != self.running and not (self.get(rec, "flags") & self.f_idle):
            return None
        v = self.vcpu_of(rec)
        if v is None:
            return None
        cur = _addr(self.vcpus[v]["current"])
        if cur != rec[0]:
            return None
        return int(self.vcpus[v]["host_tid"]) or None

    def stack(self, rec):
        lo = self.get(rec, "stack.lo")
        return lo, self.get(rec, "stack.size"), self.get(rec, "stack.kind")


def _gdb_threads():
    """{kernel tid: gdb.InferiorThread}."""
    return {t.ptid[1]: t for t in gdb.selected_inferior().threads()}


def _frame_level(frame):
    if hasattr(frame, "level"):
        return frame.level()
    n = 0
    while frame.newer() is not None:
        frame = frame.newer()
        n += 1
    return n


def _select_level(level):
    f = gdb.newest_frame()
    for _ in range(level):
        if f.older() is None:
            break
        f = f.older()
    f.select()


class _KeepSelection(object):
    """Puts gdb back on the thread and frame the user had selected."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        self.level = _frame_level(gdb.selected_frame()) if self.thread else 0
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
            _select_level(self.level)
        return False


def _host_sps():
    """{kernel tid: stack pointer} of every host thread, read from gdb's
    register state of each (a switch of gdb's selection, undone after)."""
    sps = {}
    with _KeepSelection():
        for t in gdb.selected_inferior().threads():
            t.switch()
            try:
                sps[t.ptid[1]] = int(gdb.newest_frame().read_register("rsp"))
            except gdb.error:
                pass
    return sps


def _human(n):
    if n is None:
        return "-"
    for unit, div in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= div:
            v = n / div
            return ("%.0f%s" if v >= 100 or v == int(v) else "%.1f%s") % (v, unit)
    return str(n)


# ---- info weft-threads ---------------------------------------------------

class InfoWeftThreads(gdb.Command):
    """List weft threads: info weft-threads [STATE...]

Every weft thread in the thread table: id, name, group, state, vCPU
("bound" for adopted host threads and the runtime's daemons), priority,
stack used/size, the gdb thread it is running on, wait channel, flags.
STATE words (running, runnable, blocked, exited, ...) keep only threads
in those states. '*' marks the weft thread on the selected gdb thread.
Reads memory only: works on core files."""

    def __init__(self):
        super(InfoWeftThreads, self).__init__("info weft-threads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        w = Weft()
        want = set(arg.split())
        gthreads = _gdb_threads()
        sps = _host_sps()
        sel = gdb.selected_thread()
        sel_tid = sel.ptid[1] if sel else None
        out = ["%1s%6s  %-15s %6s  %-8s %5s %4s %15s %6s  %s\n" % (
            "", "id", "name", "group", "state", "vcpu", "prio", "stack used/size", "thread",
            "wait channel")]
        counts = {}
        for rec in w.threads():
            state = w.state(rec)
            counts[state] = counts.get(state, 0) + 1
            if want and state not in want:
                continue
            out.append(self.line(w, rec, state, gthreads, sps, sel_tid))
            if len(out) >= 1000:
                gdb.write("".join(out))
                out = []
        total = sum(counts.values())
        out.append("%d weft threads: %s\n" % (total, ", ".join(
            "%d %s" % (counts[s], s) for s in sorted(counts))))
        gdb.write("".join(out))

    @staticmethod
    def line(w, rec, state, gthreads, sps, sel_tid):
        flags = w.get(rec, "flags")
        bound = flags & w.f_bound
        v = w.vcpu_of(rec)
        vcpu = "bound" if bound else ("-" if v is None else str(v))
        lo, size, kind = w.stack(rec)
        host = w.on_host(rec)
        gt = gthreads.get(host) if host else None
        used = None
        if w.get(rec, "state") != w.exited:  # an exited thread's stack is gone
            sp = sps.get(host) if host else w.get(rec, "sp")
            if sp and lo <= sp <= lo + size:
                used = lo + size - sp
        stack = "%s/%s" % (_human(used), _human(size))
        extra = []
        if w.get(rec, "detached"):
            extra.append("detached")
        if w.get(rec, "tls"):
            extra.append("own-tls")
        if flags & w.f_idle:
            extra.append("idle")
        elif flags & w.f_daemon:
            extra.append("daemon")
        if w.kinds.get(kind) not in (None, "pool", "host"):
            extra.append("%s stack" % w.kinds[kind])
        return "%1s%6d  %-15s %6s  %-8s %5s %4d %15s %6s  %s%s\n" % (
            "*" if host is not None and host == sel_tid else "",
            w.get(rec, "id"), w.name(rec), w.gid(rec), state, vcpu, w.get(rec, "prio"),
            stack, gt.num if gt is not None else "-", w.wchan(rec),
            "  [" + ", ".join(extra) + "]" if extra else "")


# ---- weft-thread: run a command in a suspended thread's context ------------

class _Borrow(object):
    """The active override: while set, the innermost frame of gdb thread
    `ptid` (whose registers were pc, sp) unwinds to `regs`."""
    current = None

    def __init__(self, ptid, pc, sp, frame_sp, regs):
        self.ptid, self.pc, self.sp, self.regs = ptid, pc, sp, regs
        self.frame_sp = frame_sp


class _FrameId(object):
    def __init__(self, sp, pc):
        self.sp, self.pc = sp, pc


class WeftUnwinder(Unwinder):
    def __init__(self):
        super(WeftUnwinder, self).__init__("weft-thread")

    def __call__(self, pending):
        b = _Borrow.current
        if b is None or gdb.selected_thread().ptid != b.ptid:
            return None
        # The borrowed thread's outermost frame at its own pc and sp (after
        # any inline frames, which share both) gets the weft thread as its
        # caller. A deeper frame never has the same sp and pc.
        pc = int(pending.read_register("rip"))
        sp = int(pending.read_register("rsp"))
        if pc != b.pc or sp != b.sp:
            return None
        # Its frame id takes a stack address just below the weft thread's
        # frame: gdb refuses to unwind to a caller that looks inner (lower)
        # than its callee, and the host stack may lie above the weft one.
        u64 = gdb.lookup_type("unsigned long")
        info = pending.create_unwind_info(_FrameId(gdb.Value(b.frame_sp).cast(u64),
                                                   pending.read_register("rip")))
        for reg, val in b.regs:
            info.add_saved_register(reg, gdb.Value(val).cast(u64))
        return info


class WeftFrameFilter(object):
    """Hides the borrowed host frames from backtraces (weft-thread)."""

    def __init__(self):
        self.name = "weft-thread"
        self.priority = 100
        self.enabled = True

    def filter(self, frames):
        b = _Borrow.current
        if b is None:
            return frames
        return _drop_borrowed(frames, b)


def _drop_borrowed(frames, b):
    dropping = True
    for fd in frames:
        if dropping:
            f = fd.inferior_frame()
            if f.pc() == b.pc and int(f.read_register("rsp")) == b.sp:
                continue
            dropping = False
        yield fd


def _saved_regs(w, rec):
    sp = w.get(rec, "sp")
    if not sp:
        raise WeftError("weft: thread %d has no saved context" % w.get(rec, "id"))
    words = _read(sp, 8 * FRAME_WORDS)
    regs = [(r, int.from_bytes(words[8 * i:8 * i + 8], "little")) for r, i in FRAME]
    return regs + [("rsp", sp + 8 * FRAME_WORDS)]


def _address_of(symbol):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&" + symbol))
    except gdb.error:
        return None


def run_in_thread(w, rec, cmd, from_tty):
    tid = w.get(rec, "id")
    if w.get(rec, "state") == w.exited:
        raise WeftError("weft: thread %d has exited; its stack is gone" % tid)
    host_tid = w.on_host(rec)
    if host_tid is not None:
        gt = _gdb_threads().get(host_tid)
        if gt is None:
            raise WeftError("weft: thread %d runs on LWP %d, which gdb does not see"
                            % (tid, host_tid))
        with _KeepSelection():
            gt.switch()
            gdb.newest_frame().select()
            gdb.execute(cmd, from_tty)
        return
    if w.get(rec, "state") == w.running and not w.get(rec, "flags") & w.f_idle:
        raise WeftError("weft: thread %d is in the middle of a switch; try again" % tid)
    if register_unwinder is None:
        raise WeftError("weft: this gdb has no Python unwinders (gdb >= 7.10 needed)")
    regs = _saved_regs(w, rec)
    if dict(regs)["rip"] == _address_of("wf_arch_start"):
        # Its first frame (arch.h): nothing ran on its stack yet, and gdb
        # would look up the code before wf_arch_start for it.
        fn = w.get(rec, "fn")
        raise WeftError("weft: thread %d has not started yet; it will run %s(%#x)"
                        % (tid, w.symbolize(fn)[2:-1] or "%#x" % fn, w.get(rec, "arg")))
    with _KeepSelection():
        top = gdb.newest_frame()
        b = _Borrow(gdb.selected_thread().ptid, int(top.pc()), int(top.read_register("rsp")),
                    w.get(rec, "sp"), regs)
        _Borrow.current = b
        try:
            gdb.invalidate_cached_frames()
            f = gdb.newest_frame()
            while f is not None and f.pc() == b.pc and int(f.read_register("rsp")) == b.sp:
                f = f.older()
            if f is None:
                raise WeftError("weft: could not unwind thread %d" % tid)
            f.select()
            gdb.execute(cmd, from_tty)
        finally:
            _Borrow.current = None
            gdb.invalidate_cached_frames()


class WeftThread(gdb.Command):
    """Run a gdb command in a weft thread: weft-thread ID|all COMMAND

ID is a weft thread id (the first column of info weft-threads), or an
expression giving one. A running or bound thread is on a host thread:
COMMAND runs in that gdb thread. A suspended one (runnable, blocked) runs
COMMAND with its saved registers: backtraces start at its innermost frame
and info locals, frame N, p $pc see it. Nothing is written to the
process; this works on core files. 'all' runs COMMAND in every thread
that has a stack (not exited).
Example: weft-thread 12 bt full"""

    def __init__(self):
        super(WeftThread, self).__init__("weft-thread", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        try:
            self.run(arg, from_tty)
        except gdb.GdbError:
            raise
        except gdb.error as e:  # from the command run: no Python noise
            raise gdb.GdbError(str(e))

    def run(self, arg, from_tty):
        parts = arg.split(None, 1)
        if len(parts) < 2:
            raise WeftError("usage: weft-thread ID|all COMMAND")
        w = Weft()
        if parts[0] == "all":
            for rec in list(w.threads()):
                if w.get(rec, "state") == w.exited:
                    continue
                gdb.write("\nweft thread %d \"%s\" (%s%s):\n" % (
                    w.get(rec, "id"), w.name(rec), w.state(rec),
                    "" if w.wchan(rec) == "-" else ", " + w.wchan(rec)))
                try:
                    run_in_thread(w, rec, parts[1], from_tty)
                except gdb.error as e:
                    gdb.write("  %s\n" % e)
            return
        try:
            tid = int(parts[0], 0)
        except ValueError:
            tid = int(gdb.parse_and_eval(parts[0]))
        run_in_thread(w, w.find(tid), parts[1], from_tty)


class WeftThreadFunction(gdb.Function):
    """$weft_thread(ID): the struct wf_thread * of weft thread ID."""

    def __init__(self):
        super(WeftThreadFunction, self).__init__("weft_thread")

    def invoke(self, tid):
        w = Weft()
        rec = w.find(int(tid))
        return gdb.Value(rec[0]).cast(gdb.lookup_type("struct wf_thread").pointer())


# ---- weft-sched -----------------------------------------------------------

# Counters of struct wf_vcpu in the order shown; other 64-bit fields named
# n<something> (counters added later) follow them.
VCPU_COUNTERS = ("nswitches", "nsteals", "nparks", "nwakeups")


class WeftSched(gdb.Command):
    """Show each vCPU's scheduler state: weft-sched [full]

For every vCPU: its host thread, whether it is busy, idle or parked, the
thread it runs, its counters, and its run queue: the run-next slot, then
the active and expired arrays, priority by priority, with the threads
queued there in order (the first 8 per priority; 'full' lists them all)."""

    def __init__(self):
        super(WeftSched, self).__init__("weft-sched", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        w = Weft()
        full = arg.strip() == "full"
        rt = w.rt
        gthreads = _gdb_threads()
        out = ["weft: %d vCPUs, jiffies %d, idle %d, parked %d, bound threads running %d\n" % (
            w.nvcpus, int(rt["jiffies"]), int(rt["nidle"]), int(rt["nparked"]),
            int(rt["bound_running"]))]
        for i, v in enumerate(w.vcpus):
            out.extend(self.vcpu(w, i, v, gthreads, full))
        gdb.write("".join(out))

    @staticmethod
    def vcpu(w, i, v, gthreads, full):
        host = int(v["host_tid"])
        gt = gthreads.get(host)
        status = "parked" if int(v["parked"]) else "idle" if int(v["idling"]) else "busy"
        cur = _addr(v["current"])
        running = "-"
        if cur:
            rec = w.record(cur)
            running = "%d \"%s\"" % (w.get(rec, "id"), w.name(rec))
        lines = ["vCPU %d: %s, LWP %d%s, running %s%s\n" % (
            i, status, host, " (gdb thread %d)" % gt.num if gt else "", running,
            ", starving" if int(v["starving"]) else "")]
        names = [f.name for f in v.type.strip_typedefs().fields()]
        counters = [n for n in VCPU_COUNTERS if n in names]
        counters += [n for n in names if n.startswith("n") and n not in counters and
                     v[n].type.strip_typedefs().sizeof == 8 and
                     v[n].type.strip_typedefs().code == gdb.TYPE_CODE_INT]
        lines.append("  " + ", ".join("%s %d" % (n[1:], int(v[n])) for n in counters) +
                     ", timers %s\n" % ("armed" if int(v["timers"]["next"]) != (1 << 64) - 1
                                        else "none"))
        rq = v["rq"]
        nr = int(rq["nr"])
        lines.append("  run queue: %d thread%s%s\n" % (nr, "" if nr == 1 else "s",
                                                     " (lock held)" if int(rq["lock"]["v"]) else ""))
        rq_fields = [f.name for f in rq.type.strip_typedefs().fields()]
        if "next" in rq_fields and _addr(rq["next"]):  # the run-next slot, if this build has one
            rec = w.record(_addr(rq["next"]))
            lines.append("    %-7s prio %2d: %d \"%s\"\n" % (
                "next", w.get(rec, "prio"), w.get(rec, "id"), w.name(rec)))
        for label in ("active", "expired"):
            arr = rq[label].dereference()
            bitmap = int(arr["bitmap"])
            for p in range(31, -1, -1):
                if bitmap & (1 << p):
                    lines.append("    %-7s prio %2d: %s\n" % (
                        label, p, WeftSched.fifo(w, arr["fifo"][p], nr, full)))
        return lines

    @staticmethod
    def fifo(w, f, nr, full):
        t = _addr(f["head"])
        items, seen = [], set()
        while t and t not in seen and len(seen) <= nr + 1:
            seen.add(t)
            rec = w.record(t)
            if full or len(items) < 8:
                items.append("%d \"%s\"" % (w.get(rec, "id"), w.name(rec)))
            t = w.get(rec, "rq_next")
        more = len(seen) - len(items)
        return ", ".join(items) + (", ... %d more" % more if more else "") + (
            " (list cut: it changed under us)" if t else "")


# ---- weft-mem -------------------------------------------------------------

class WeftMem(gdb.Command):
    """Show weft's stack memory and thread table: weft-mem

mapped: address space reserved for stacks (pooled chunks, other-size stacks,
small-stack slabs). in use: the stacks of live threads, and how much of them
lies below their threads' stack pointers now. cached: free stacks kept for
reuse, per vCPU and global; a global stack beyond the hot list has its pages
given back to the kernel. committed: at most the in-use and hot cached
stacks (a stack's pages are committed lazily, as it is used)."""

    def __init__(self):
        super(WeftMem, self).__init__("weft-mem", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        w = Weft()
        pool = _static("pool", "core/stack.c")
        table = _static("table", "core/slot.c")
        sps = _host_sps()
        kinds = {}
        depth = 0
        for rec in w.threads():
            if w.get(rec, "state") == w.exited:
                continue  # its stack went back when it exited
            lo, size, kind = w.stack(rec)
            name = w.kinds.get(kind, str(kind))
            k = kinds.setdefault(name, [0, 0])
            k[0] += 1
            k[1] += size
            if name == "host":
                continue
            host = w.on_host(rec)
            sp = sps.get(host) if host else w.get(rec, "sp")
            if sp and lo <= sp <= lo + size:
                depth += lo + size - sp
        vcached = sum(int(v["nstack_cache"]) for v in w.vcpus)
        hot, cold = int(pool["nhot"]), int(pool["ncold"])
        small_free = 0
        for cls in range(pool["small"].type.range()[1] + 1):
            c, n = _addr(pool["small"][cls]), 0
            while c and n < 1 << 20:
                n += 1
                c = _u64(c)  # struct cached: next is its first field
            small_free += n * cls * 1024
        in_use = sum(b for k, (n, b) in kinds.items() if k not in ("host", "user"))
        cached_hot = (vcached + hot) * STACK_DEFAULT + small_free
        out = []
        out.append("stacks: %s mapped, %s committed at most (in use + hot cached)\n" % (
            _human(int(pool["mapped"])), _human(in_use + cached_hot)))
        out.append("  in use: %s (%s); %s below the threads' stack pointers now\n" % (
            _human(in_use), ", ".join("%s %d" % (k, n) for k, (n, b) in sorted(kinds.items())
                                     if k not in ("host",)) or "none", _human(depth)))
        out.append("  cached: %d per-vCPU + %d hot (%s, committed), %d cold (%s, given back), "
                   "%s of small stacks\n" % (
                       vcached, hot, _human((vcached + hot) * STACK_DEFAULT), cold,
                       _human(cold * STACK_DEFAULT), _human(small_free)))
        out.append("  guard pages: %d of %d\n" % (int(pool["guards_used"]),
                                                 int(pool["guard_budget"])))
        if "host" in kinds:
            out.append("  host stacks (bound threads, vCPU schedulers): %d, %s\n" % (
                kinds["host"][0], _human(kinds["host"][1])))
        nslots = int(_static("nslots", "core/slot.c"))
        chunks = _static("chunks", "core/slot.c")
        nchunks = sum(1 for c in range((nslots + SLOT_CHUNK - 1) // SLOT_CHUNK)
                      if _addr(chunks[c]))
        vslots = sum(int(v["nslot_cache"]) for v in w.vcpus)
        live = sum(1 for _ in w.threads())
        out.append("thread table: %d records handed out (%s each, %s mapped), %d in use, "
                   "%d free (%d global, %d per-vCPU)\n" % (
                       nslots, _human(w.th.size), _human(nchunks * SLOT_CHUNK * w.th.size),
                       live, nslots - live, int(table["nfree"]), vslots))
        gdb.write("".join(out))


def register(objfile=None):
    # The preemption tick (docs/preempt.md) is libc's SIGRTMAX, 64 on
    # Linux: let it through without stopping, as Go's scripts do for SIGURG.
    try:
        gdb.execute("handle SIG64 nostop noprint pass", to_string=True)
    except gdb.error:
        pass
    InfoWeftThreads()
    WeftThread()
    WeftSched()
    WeftMem()
    WeftThreadFunction()
    if register_unwinder is not None:
        register_unwinder(None, WeftUnwinder(), replace=True)
    gdb.frame_filters["weft-thread"] = WeftFrameFilter()


register()
