"""A Python yoton peer for the channel interop tests, driven by arguments
and by commands on stdin; it reports on stdout, one line per event.

Arguments:
    --role bind|connect, --address ADDR, --deadline SECONDS
    --channel KIND:NAME:TYPE (repeatable; made before binding or connecting,
        so that nothing sent on connection is missed). KIND is pub, sub or
        state; TYPE is txt or bin.

Output lines:
    BOUND <port>                      (--role bind, before the peer came)
    CONNECTED
    RECV <name> <hex>                 (a sub message, in order)
    DRAINED <name> <count>
    STATE_PKG <name> <hex>            (every state package that arrives)
    STATE <name> <hex>                (answer to getstate; empty hex: none)
    LOCKED <name> 0|1                 (answer to locked: a pub held back?)
    PENDING <name> <count>
    SENT <name> <count> <max_seconds> (after sendn: the longest single send)
    OK <command>                      (after any other command)
    ERROR <text>                      (then exit code 2)

stdin commands:
    send <name> <hex>                 pub send
    sendn <name> <first> <count>      pub send the texts "<first>".."<first+count-1>"
                                      (or those texts as bytes)
    setstate <name> <hex>             state send
    getstate <name>
    sync <name> on|off                sub sync mode
    autorecv <name> on|off            print sub messages as they come
    drain <name>                      receive every pending sub message
    pending <name>
    locked <name>
    exit
"""

import argparse
import queue
import sys
import threading
import time

from yoton_ref import import_yoton, out, join


def wait_for_room(c):
    """The reference's connection queue blocks a sender for a whole second
    once 64 packages wait; pace the sends instead."""
    q = getattr(c, "_qout", None)
    while q is not None and len(q._q) >= 48 and c.is_connected:
        time.sleep(0.0005)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["bind", "connect"], required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--channel", action="append", default=[])
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    deadline = time.time() + args.deadline

    yoton = import_yoton()
    ct = yoton.Context()
    channels = {}
    types = {}
    for spec in args.channel:
        kind, name, type_ = spec.split(":")
        message_type = yoton.TEXT if type_ == "txt" else yoton.BINARY
        cls = {"pub": yoton.PubChannel, "sub": yoton.SubChannel, "state": yoton.StateChannel}[kind]
        channel = cls(ct, name, message_type)
        channels[name] = channel
        types[name] = type_
        if kind == "state":
            # Watch every state package as it arrives (on the IO thread).
            original = channel._recv_package

            def watch(package, original=original, name=name):
                # Reported once the channel holds it, so that a getstate
                # that follows sees it.
                original(package)
                out("STATE_PKG", name, bytes(package._data).hex())

            channel._recv_package = watch

    def to_message(name, raw):
        return raw.decode("utf-8") if types[name] == "txt" else raw

    def to_bytes(message):
        return message.encode("utf-8") if isinstance(message, str) else bytes(message)

    c = join(ct, args.role, args.address, deadline)
    out("CONNECTED")

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.split())
        commands.put(["exit"])

    threading.Thread(target=read_stdin, daemon=True).start()

    auto = set()

    def receive_pending(name):
        sub = channels[name]
        n = 0
        while True:
            message = sub.recv(False)
            if not message:
                return n
            out("RECV", name, to_bytes(message).hex())
            n += 1

    while True:
        if time.time() > deadline:
            out("ERROR deadline passed")
            sys.stdout.flush()
            import os

            os._exit(2)
        # Runs the received signals, which is what checks a sync-mode sub
        # channel's queue (the reference needs its event loop for that).
        yoton.process_events()
        for name in list(auto):
            receive_pending(name)
        try:
            command = commands.get(timeout=0.005)
        except queue.Empty:
            continue
        if not command:
            continue
        op = command[0]
        try:
            if op == "exit":
                import os

                os._exit(0)
            name = command[1]
            if op == "send":
                channels[name].send(to_message(name, bytes.fromhex(command[2])))
                out("OK", op)
            elif op == "sendn":
                first, count = int(command[2]), int(command[3])
                longest = 0.0
                for i in range(first, first + count):
                    wait_for_room(c)
                    t = time.time()
                    channels[name].send(to_message(name, str(i).encode("utf-8")))
                    longest = max(longest, time.time() - t)
                ct.flush(30.0)
                out("SENT", name, count, "%.3f" % longest)
            elif op == "setstate":
                channels[name].send(to_message(name, bytes.fromhex(command[2])))
                out("OK", op)
            elif op == "getstate":
                value = channels[name].recv()
                out("STATE", name, to_bytes(value).hex() if value else "")
            elif op == "sync":
                channels[name].set_sync_mode(command[2] == "on")
                out("OK", op)
            elif op == "autorecv":
                if command[2] == "on":
                    auto.add(name)
                else:
                    auto.discard(name)
                out("OK", op)
            elif op == "drain":
                out("DRAINED", name, receive_pending(name))
            elif op == "pending":
                out("PENDING", name, channels[name].pending)
            elif op == "locked":
                out("LOCKED", name, 1 if channels[name]._is_send_locked else 0)
            else:
                out("ERROR unknown command", " ".join(command))
        except Exception as e:
            out("ERROR", op, repr(e).replace("\n", " "))


if __name__ == "__main__":
    main()
