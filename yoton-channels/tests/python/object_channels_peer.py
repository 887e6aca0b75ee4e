"""A Python yoton peer for the OBJECT channel interop tests: pub/sub and
state channels with message_type=yoton.OBJECT, and the startup handshake
of Pyzo's kernel on `stat-startup`. Driven by commands on stdin; reports
on stdout, one line per event. Texts and packed values go as hex (UTF-8
for texts; packed is OBJECT.message_to_bytes).

Arguments:
    --address ADDR     connect there (the Rust side binds, as Pyzo does)
    --deadline SECONDS exit with code 2 when it passes

Channels (all OBJECT, made before connecting):
    obj-rs          sub    (Rust publishes)
    obj-py          pub    (Python publishes)
    obj-typed       pub    (values for a typed Rust sub, some that do not fit)
    obj-state       state
    obj-typed-state state
    stat-startup    state  (as in pyzokernel/start.py)

Output lines:
    CONNECTED
    SAMPLE <i> <repr> <packed>          for each sample sent by `sendsamples`
    SENT <count>
    GOT <i> <repr> <packed> <1|0>       for `recvsamples`: what arrived, and
                                        whether its repr is SAMPLES[i]'s
    RECEIVED <count>
    STATE <name> <repr> <packed>        for `waitstate`
    SETSTATE <name> <repr> <packed>     after `setstate`
    STARTUP <repr>                      for `kernelstartup`: the dict received
    REQUIRED <key>=<type name>...       the types of the keys the kernel needs
    KERNEL <repr of version> <number of builtins> <keywords> <softkeywords>
                                        what the kernel adds and sends back
                                        (keywords joined by spaces)
    OK <command>
    ERROR <text>

stdin commands:
    sendsamples                  publish every sample on obj-py
    recvsamples <count>          receive count messages on obj-rs (20 s each)
    sendtyped                    publish on obj-typed: four values that do not
                                 fit {x: i32, y: i32}, then {'x': 3, 'y': -4}
    waitstate <name> <repr>      wait (20 s) until the state's repr is that
    setstate <name> <i>          set the state to SAMPLES[i]
    settypedstate                set obj-typed-state to 'bad', then {'x': 5, 'y': 6}
    kernelstartup                what Pyzo's kernel does with stat-startup
    exit
"""

import argparse
import builtins
import keyword
import os
import sys
import time

from yoton_ref import import_yoton, out, start_watchdog


def h(text):
    return text.encode("utf-8").hex()


# Every kind of OBJECT value. The Rust test builds the same list on its
# own; keep the two in step.
SAMPLES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**63 - 1,
    -(2**63),
    255,
    -129,
    0.0,
    -0.0,
    1.5,
    -2.25,
    float("inf"),
    float("-inf"),
    float("nan"),
    1e300,
    5e-324,
    0.1,
    "",
    "a",
    "h\xe9llo \u20acuro \U0001f600 \u4e2d",
    "'quoted' \"double\" \\ \n\t\x01",
    "x" * 300,
    "\xe9" * 300,
    [],
    (),
    {},
    [1, "two", 3.0, None, True],
    (1,),
    (1, (2, (3, ()))),
    {"a": 1, 2: "b", (3, "c"): [4, 5], "nested": {"k": (None, [])}},
    [[], [[]], {}, ()],
    {(): (), (1, (2,)): {}, -7: "minus seven"},
    list(range(300)),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()

    start_watchdog(args.deadline)

    yoton = import_yoton()
    OBJECT = yoton.OBJECT

    def packed(value):
        return OBJECT.message_to_bytes(value).hex()

    ct = yoton.Context()
    sub = yoton.SubChannel(ct, "obj-rs", OBJECT)
    pub = yoton.PubChannel(ct, "obj-py", OBJECT)
    typed = yoton.PubChannel(ct, "obj-typed", OBJECT)
    states = {
        name: yoton.StateChannel(ct, name, OBJECT)
        for name in ["obj-state", "obj-typed-state", "stat-startup"]
    }

    try:
        ct.connect(args.address, timeout=5.0)
    except Exception as e:
        out("ERROR", str(e).replace("\n", " "))
        sys.exit(2)
    out("CONNECTED")

    def wait_state(channel, done):
        until = time.time() + 20.0
        while not done(channel.recv()):
            if time.time() > until:
                return False
            time.sleep(0.005)
        return True

    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        op = command[0]
        try:
            if op == "exit":
                os._exit(0)
            elif op == "sendsamples":
                for i, value in enumerate(SAMPLES):
                    pub.send(value)
                    out("SAMPLE", i, h(repr(value)), packed(value))
                out("SENT", len(SAMPLES))
            elif op == "recvsamples":
                count = int(command[1])
                for i in range(count):
                    # A package, not recv(): an empty message would read as
                    # None, which is a sample too.
                    package = sub._recv(20.0)
                    if package is None:
                        out("ERROR nothing arrived for sample", i)
                        break
                    value = sub.message_from_bytes(package._data)
                    same = i < len(SAMPLES) and repr(value) == repr(SAMPLES[i])
                    out("GOT", i, h(repr(value)), packed(value), 1 if same else 0)
                else:
                    out("RECEIVED", count)
            elif op == "sendtyped":
                for value in ["not a dict", {"x": "one", "y": 2}, {"x": 1}, {"x": 2**40, "y": 0}]:
                    typed.send(value)
                typed.send({"x": 3, "y": -4})
                out("OK", op)
            elif op == "waitstate":
                name, want = command[1], bytes.fromhex(command[2]).decode("utf-8")
                channel = states[name]
                if wait_state(channel, lambda v: repr(v) == want):
                    value = channel.recv()
                    out("STATE", name, h(repr(value)), packed(value))
                else:
                    out("ERROR state", name, "is", repr(channel.recv()))
            elif op == "setstate":
                name, value = command[1], SAMPLES[int(command[2])]
                states[name].send(value)
                out("SETSTATE", name, h(repr(value)), packed(value))
            elif op == "settypedstate":
                states["obj-typed-state"].send("bad")
                states["obj-typed-state"].send({"x": 5, "y": 6})
                out("OK", op)
            elif op == "kernelstartup":
                # As pyzokernel/interpreter.py: wait for the dict, copy it,
                # add what the kernel knows, and send it back.
                channel = states["stat-startup"]
                if not wait_state(channel, lambda v: v is not None):
                    out("ERROR no startup state came")
                    continue
                info = channel.recv().copy()
                out("STARTUP", h(repr(info)))
                required = ["scriptFile", "projectPath", "startDir", "startupScript", "gui"]
                out("REQUIRED", *["%s=%s" % (k, type(info[k]).__name__) for k in required])
                info["builtins"] = list(dir(builtins))
                info["version"] = tuple(sys.version_info)
                info["keywords"] = keyword.kwlist
                info["softkeywords"] = getattr(keyword, "softkwlist", [])
                channel.send(info.copy())
                out(
                    "KERNEL",
                    h(repr(info["version"])),
                    len(info["builtins"]),
                    h(" ".join(info["keywords"])),
                    h(" ".join(info["softkeywords"])),
                )
            else:
                out("ERROR unknown command", op)
        except Exception as e:
            out("ERROR", op, repr(e).replace("\n", " "))
    os._exit(0)


if __name__ == "__main__":
    main()
