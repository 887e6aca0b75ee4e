"""A Python yoton replier for the tests of `yoton call`: a RepChannel
subclass in thread mode on --channel, as Pyzo's kernel serves its
introspection. It reports on stdout, one line per event:

    BOUND <port>        (after binding at --address)
    CONNECTED <port>    (a connection, bound or made, has its peer)
    ERROR <text>        (then exit code 2)

stdin commands:
    connect <address>   connect to a bound `yoton call --bind`
    exit                exit at once (also at the end of stdin)

Methods: add(a, b); divide(a, b), which raises ZeroDivisionError for
b == 0; describe(*args, **kwargs), which returns [args, kwargs].
"""

import argparse
import importlib.util
import os
import sys
import threading
import time


def import_yoton():
    spec = importlib.util.find_spec("pyzo")
    if spec is None or not spec.submodule_search_locations:
        print("ERROR pyzo is not installed for", sys.executable, flush=True)
        sys.exit(2)
    # yoton uses absolute imports of itself: put the pyzo folder on the
    # path instead of importing pyzo (which would start on the IDE).
    sys.path.insert(0, list(spec.submodule_search_locations)[0])
    import yoton

    return yoton


def out(*parts):
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def wait_connected(c, deadline):
    while not c.is_connected:
        if time.time() > deadline:
            out("ERROR no peer came")
            os._exit(2)
        time.sleep(0.005)
    out("CONNECTED", c.port1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    deadline = time.time() + args.deadline
    # Never outlive the test that started us.
    threading.Timer(args.deadline, lambda: os._exit(3)).start()

    yoton = import_yoton()

    class Calc(yoton.RepChannel):
        def add(self, a, b):
            return a + b

        def divide(self, a, b):
            return a / b

        def describe(self, *args, **kwargs):
            return [list(args), kwargs]

    ct = yoton.Context()
    rep = Calc(ct, args.channel)
    rep.set_mode("thread")
    try:
        c = ct.bind(args.address)
    except Exception as e:
        out("ERROR", str(e).replace("\n", " "))
        sys.exit(2)
    out("BOUND", c.port1)
    wait_connected(c, deadline)

    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "exit":
            break
        if command[0] == "connect":
            try:
                c = ct.connect(command[1], timeout=5.0)
            except Exception as e:
                out("ERROR", str(e).replace("\n", " "))
                os._exit(2)
            wait_connected(c, deadline)
        else:
            out("ERROR unknown command", " ".join(command))
    os._exit(0)


if __name__ == "__main__":
    main()
