"""A Python yoton peer for the req/rep interop tests, driven by arguments
and by commands on stdin; it reports on stdout, one line per event.

Arguments:
    --role bind|connect, --address ADDR, --deadline SECONDS

Values go both ways as the hex of their OBJECT bytes, so that both sides
compare exactly what the reference packs.

Output lines:
    BOUND <port>                      (--role bind, before the peer came)
    CONNECTED
    RESULT <hex>                      (a call's result)
    RAISED <class> <hex of the message as OBJECT str>
    ANSWERED <replier> <count>        (after many: calls each replier answered)
    SERVED <name> <count>             (after served)
    OK <command>                      (after any other command)
    ERROR <text>                      (then exit code 2)

stdin commands:
    rep <name> <tag>                  a RepChannel in thread mode (methods below)
    closerep <name>
    served <name>
    release                           let one gate() call return
    call <name> <method> <args hex> <kwargs hex> <timeout> [<wait>]
                                      a ReqChannel call, waiting for its end
                                      (at most <wait> s; timeout + 20 if not given)
    many <name> <count> <base>        <count> calls of who(base + k), at most 20
                                      at a time; checks each answer
    exit

Replier methods: same(x) -> x; add(a, b); fail(message) raises
ValueError(message); who(n) -> (tag, n); gate() blocks until release,
then returns "released"; echo is the reference's own.
"""

import argparse
import queue
import sys
import threading
import time

from yoton_ref import import_yoton, out, join


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=["bind", "connect"], required=True)
    parser.add_argument("--address", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    deadline = time.time() + args.deadline

    yoton = import_yoton()
    pack = yoton.OBJECT.message_to_bytes
    unpack = yoton.OBJECT.message_from_bytes
    gate = threading.Semaphore(0)

    class Replier(yoton.RepChannel):
        def __init__(self, context, name, tag):
            yoton.RepChannel.__init__(self, context, name)
            self.tag = tag
            self.count = 0

        def _handle_request(self, message):
            self.count += 1
            return yoton.RepChannel._handle_request(self, message)

        def same(self, x):
            return x

        def add(self, a, b):
            return a + b

        def fail(self, message):
            raise ValueError(message)

        def who(self, n):
            return (self.tag, n)

        def gate(self):
            if not gate.acquire(timeout=30):
                raise RuntimeError("never released")
            return "released"

    ct = yoton.Context()
    join(ct, args.role, args.address, deadline)
    out("CONNECTED")

    commands = queue.Queue()

    def read_stdin():
        for line in sys.stdin:
            commands.put(line.split())
        commands.put(["exit"])

    threading.Thread(target=read_stdin, daemon=True).start()

    repliers = {}
    requesters = {}

    def requester(name):
        if name not in requesters:
            requesters[name] = yoton.ReqChannel(ct, name)
        return requesters[name]

    while True:
        if time.time() > deadline:
            out("ERROR deadline passed")
            import os

            os._exit(2)
        yoton.process_events()
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
            elif op == "release":
                gate.release()
                out("OK", op)
            elif op == "rep":
                rep = Replier(ct, command[1], command[2])
                rep.set_mode("thread")
                repliers[command[1]] = rep
                out("OK", op)
            elif op == "closerep":
                repliers.pop(command[1]).close()
                out("OK", op)
            elif op == "served":
                out("SERVED", command[1], repliers[command[1]].count)
            elif op == "call":
                name, method = command[1], command[2]
                call_args = unpack(bytes.fromhex(command[3]))
                kwargs = unpack(bytes.fromhex(command[4]))
                req = requester(name)
                future = getattr(req, method)(*call_args, **kwargs)
                future.set_auto_cancel_timeout(float(command[5]))
                try:
                    wait = float(command[6]) if len(command) > 6 else float(command[5]) + 20.0
                    result = future.result(wait)
                    out("RESULT", pack(result).hex())
                except Exception as e:
                    out("RAISED", type(e).__name__, pack(str(e)).hex())
            elif op == "many":
                name, count, base = command[1], int(command[2]), int(command[3])
                req = requester(name)
                answered = {}
                pending = []
                k = 0
                while k < count or pending:
                    while k < count and len(pending) < 20:
                        future = req.who(base + k)
                        # Calls wait their turn at the repliers: more than
                        # the default 10 s on a loaded machine.
                        future.set_auto_cancel_timeout(120.0)
                        pending.append((base + k, future))
                        k += 1
                    n, future = pending.pop(0)
                    tag, echoed = future.result(120.0)
                    if echoed != n:
                        raise RuntimeError("answer %r for call %r" % (echoed, n))
                    answered[tag] = answered.get(tag, 0) + 1
                for tag, times in sorted(answered.items()):
                    out("ANSWERED", tag, times)
                out("OK", op)
            else:
                out("ERROR unknown command", op)
                sys.exit(2)
        except Exception as e:
            out("ERROR", type(e).__name__, str(e).replace("\n", " "))
            sys.exit(2)


if __name__ == "__main__":
    main()
