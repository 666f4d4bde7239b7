#!/usr/bin/python3
"""tests/bench/profile-split.py: reads `perf script -F comm,tid,ip,sym,dso` output (call
graphs recorded with --call-graph dwarf) of the p11dkim process and says where its CPU time
goes: inside the token (a frame of C_SignInit or C_Sign on the stack), in libmilter (the
innermost frame of libmilter's own code is on the stack and none of p11dkim's), in p11dkim's
own code (the innermost named frame of ours), or elsewhere. Prints one line per part and, with
-v, the heaviest functions of each part.

  perf script -i perf.data --comm p11dkim -F comm,tid,ip,sym,dso | profile-split.py [-v]
"""
import collections
import sys

# Prefixes of p11dkim's own functions (daemon/, dkim/, pkcs11/, config/).
OURS = ("dkim_", "milter_", "p11_", "log_", "policy_", "conf_", "state_", "metrics_", "main_",
        "signals_", "listen_", "keys_", "check_", "clock_", "process_")


def samples(lines):
    cur = None
    for line in lines:
        if not line.strip():
            if cur is not None:
                yield cur
            cur = None
            continue
        if not line[0].isspace():
            cur = []
            continue
        parts = line.strip().split(None, 1)
        if len(parts) < 2 or cur is None:
            continue
        sym, _, dso = parts[1].rpartition(" (")
        cur.append((sym, dso.rstrip(")").rsplit("/", 1)[-1]))
    if cur is not None:
        yield cur


def part_of(stack):
    """The part a sample belongs to, and the frame it is charged to."""
    for sym, _ in stack:
        if sym in ("C_Sign", "C_SignInit"):
            return "token (C_SignInit + C_Sign)", sym
    for sym, dso in stack:
        if sym.startswith(OURS):
            return "p11dkim's own code", sym
        if dso.startswith("libmilter"):
            return "libmilter (reading and writing the milter protocol)", sym
    leaf = stack[0] if stack else ("?", "?")
    return "other (thread start, allocator, unattributed)", "%s (%s)" % leaf


def main():
    verbose = "-v" in sys.argv[1:]
    parts = collections.Counter()
    funcs = collections.defaultdict(collections.Counter)
    n = 0
    for stack in samples(sys.stdin):
        part, frame = part_of(stack)
        parts[part] += 1
        funcs[part][frame] += 1
        n += 1
    if n == 0:
        sys.exit("profile-split.py: no samples (was perf recording p11dkim?)")
    print("%d samples of p11dkim" % n)
    for part, k in parts.most_common():
        print("  %6.1f%%  %s" % (100.0 * k / n, part))
        if verbose:
            for f, c in funcs[part].most_common(8):
                print("            %6.1f%%  %s" % (100.0 * c / n, f))


if __name__ == "__main__":
    main()
