"""A Python yoton replier for the tests of `yoton call`: a RepChannel
subclass in thread mode on --channel, as Pyzo's kernel serves its
introspection. It reports on stdout, one line per event:

    BOUND <port>        (after binding at --address)
    CONNECTED <port>    (a connection, bound or made, has (or had) its peer)
    ERROR <text>        (then exit code 2)

stdin commands:
    connect <address>   connect to a bound `yoton call --bind`
    exit                exit at once (also at the end of stdin)

Methods: add(a, b); divide(a, b), which raises ZeroDivisionError for
b == 0; describe(*args, **kwargs), which returns [args, kwargs].
"""

import argparse
import os
import sys
import threading
import time

from yoton_ref import import_yoton, out


def wait_connected(c, deadline):
    # A peer that came and went already counts: a quick call can end
    # between two looks.
    while c.is_waiting:
        if time.time() > deadline:
            out("ERROR no peer came")
            os._exit(2)
        time.sleep(0.005)
    # The handshake set the peer's id; a connection closed without a peer
    # has none.
    if not c.id2:
        out("ERROR closed before a peer came")
        os._exit(2)
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
