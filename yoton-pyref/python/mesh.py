"""A Python yoton node for interop tests beyond one hop: one context that
binds and connects several times, so that it can be the middle of a line
or one corner of a cycle. It publishes and subscribes on one text channel
and reports on stdout, one line per event:

    ID <id>                         (its context id, 16 lowercase hex digits)
    BOUND <port>                    (once per --bind, before a peer came)
    HOSTING <port>                  (a bound connection got its peer)
    CONNECTED <port>                (a --connect succeeded)
    RECV <text>                     (a message on the channel; the rest of
                                     the line is the text)
    SENT <text>                     (after a send command, flushed)
    ERROR <text>                    (then exit code 2)

Arguments: --bind N binds N times at localhost:0 (a port each);
--connect ADDRESS (repeatable) connects; --channel NAME (default mesh).

stdin commands:
    send <text>                     publish <text> on the channel
    senddest <id> <text>            publish <text> for context <id> only
                                    (the package's dest_id)
    exit                            exit at once
"""

import argparse
import os
import queue
import sys
import threading
import time

from yoton_ref import import_yoton, out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", type=int, default=0)
    parser.add_argument("--connect", action="append", default=[])
    parser.add_argument("--channel", default="mesh")
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    deadline = time.time() + args.deadline

    yoton = import_yoton()
    ct = yoton.Context()
    pub = yoton.PubChannel(ct, args.channel)
    sub = yoton.SubChannel(ct, args.channel)
    out("ID", "%016x" % ct.id)

    hosting = []
    try:
        for _ in range(args.bind):
            c = ct.bind("localhost:0")
            hosting.append(c)
            out("BOUND", c.port1)
        for address in args.connect:
            c = ct.connect(address, timeout=10.0)
            out("CONNECTED", c.port2)
    except Exception as e:
        out("ERROR", str(e).replace("\n", " "))
        sys.exit(2)

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.rstrip("\n"))
        commands.put("exit")

    threading.Thread(target=read_stdin, daemon=True).start()

    reported = set()
    while True:
        if time.time() > deadline:
            out("ERROR deadline passed")
            os._exit(2)
        yoton.process_events()
        for c in hosting:
            if c.is_connected and c.port1 not in reported:
                reported.add(c.port1)
                out("HOSTING", c.port1)
        while True:
            message = sub.recv(False)
            if not message:
                break
            out("RECV", message)
        try:
            command = commands.get(timeout=0.005)
        except queue.Empty:
            continue
        word, _, rest = command.partition(" ")
        if word == "exit":
            os._exit(0)
        elif word == "send":
            pub.send(rest)
            ct.flush(10.0)
            out("SENT", rest)
        elif word == "senddest":
            dest, _, text = rest.partition(" ")
            pub._send(text.encode("utf-8"), int(dest, 16))
            ct.flush(10.0)
            out("SENT", text)
        elif word:
            out("ERROR unknown command", command)


if __name__ == "__main__":
    main()
