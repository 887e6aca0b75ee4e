"""A Python yoton peer for interop tests, driven by command-line arguments
and by commands on stdin; it reports on stdout, one machine-readable line
per event:

    BOUND <port1>                       (--role bind, before a peer came)
    CONNECTED <id1> <pid1> <id2> <pid2> <hostname1> <port1> <hostname2> <port2>
    SENT <index> <nbytes> <crc32>       (one per message sent)
    SENT_DONE <count>                   (after flushing)
    RECV <index> <nbytes> <crc32>       (one per message received)
    CLOSED <reason>                     (the connection closed)
    ERROR <text>                        (then exit code 2)

Ids are 16 lowercase hex digits; crc32 is zlib's, of the message bytes
(text as UTF-8).

stdin commands:
    send <size>[,<size>...]             send messages of these sizes
    bulk <count> <size>                 send <count> messages of one size
    close                               close the connection (the reference
                                        does not send the close package)
    exit                                exit at once

Text messages of size n have n code points (mixed ASCII and not), binary
ones n bytes; message i differs from message i+1.
"""

import argparse
import os
import queue
import sys
import threading
import time
import zlib

from yoton_ref import import_yoton, out, join


def make_message(index, size, kind):
    if kind == "bin":
        base = bytes((index * 7 + j) % 256 for j in range(256))
        return (base * (size // 256 + 1))[:size]
    unit = "yoton %d: \u00e9\u20ac\U0001f600 abc|" % index
    return (unit * (size // len(unit) + 1))[:size]


def as_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else message


def wait_for_room(c):
    """The reference's connection queue blocks a sender for a whole second
    once 64 packages wait (its pop does not wake pushers); pace the sends
    so that a burst of small messages does not take minutes."""
    q = getattr(c, "_qout", None)
    while q is not None and len(q._q) >= 48 and c.is_connected:
        time.sleep(0.0005)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["bind", "connect"], required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--max-tries", type=int, default=1)
    parser.add_argument("--connect-timeout", type=float, default=5.0)
    parser.add_argument("--channel", default="interop")
    parser.add_argument("--type", choices=["txt", "bin"], default="txt")
    parser.add_argument("--mode", choices=["pub", "sub", "none"], default="none")
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    deadline = time.time() + args.deadline

    yoton = import_yoton()
    # Large queues: the test checks that nothing is lost in transit, not
    # the reference's queue policy.
    ct = yoton.Context(queue_params=(1000000, "old"))
    message_type = yoton.TEXT if args.type == "txt" else yoton.BINARY
    pub = sub = None
    if args.mode == "pub":
        pub = yoton.PubChannel(ct, args.channel, message_type)
    elif args.mode == "sub":
        sub = yoton.SubChannel(ct, args.channel, message_type)

    c = join(
        ct,
        args.role,
        args.address,
        deadline,
        max_tries=args.max_tries,
        connect_timeout=args.connect_timeout,
    )

    closed = []
    c.closed.bind(lambda conn, reason: closed.append(reason))
    out(
        "CONNECTED",
        "%016x" % c.id1,
        os.getpid(),
        "%016x" % c.id2,
        c.pid2,
        c.hostname1,
        c.port1,
        c.hostname2,
        c.port2,
    )

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.split())
        commands.put(["exit"])

    threading.Thread(target=read_stdin, daemon=True).start()

    sent = 0
    received = 0
    reported_closed = False
    while True:
        if time.time() > deadline:
            out("ERROR deadline passed")
            os._exit(2)
        yoton.process_events()
        if closed and not reported_closed:
            reported_closed = True
            out("CLOSED", closed[0])
        if sub is not None:
            got_any = False
            while True:
                message = sub.recv(False)
                if message is None or message == "" or message == b"":
                    break
                got_any = True
                data = as_bytes(message)
                out("RECV", received, len(data), zlib.crc32(data))
                received += 1
            if got_any:
                continue
        try:
            command = commands.get(timeout=0.005)
        except queue.Empty:
            continue
        if not command:
            continue
        if command[0] == "exit":
            os._exit(0)
        elif command[0] == "close":
            c.close()
        elif command[0] in ("send", "bulk"):
            if command[0] == "send":
                sizes = [int(s) for s in command[1].split(",")]
            else:
                sizes = [int(command[2])] * int(command[1])
            for size in sizes:
                message = make_message(sent, size, args.type)
                wait_for_room(c)
                pub.send(message)
                data = as_bytes(message)
                out("SENT", sent, len(data), zlib.crc32(data))
                sent += 1
            ct.flush(30.0)
            out("SENT_DONE", sent)
        else:
            out("ERROR unknown command", " ".join(command))


if __name__ == "__main__":
    main()
