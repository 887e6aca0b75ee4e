"""A Python yoton peer for the text I/O interop tests: Pyzo's kernel's
stdout as a `FileWrapper` (chunk size 256) on a text pub channel, and a
text sub channel; driven by commands on stdin, reporting on stdout.

Arguments:
    --address ADDR     connect there (the Rust side binds)
    --deadline SECONDS exit with code 2 when it passes

Channels (made before connecting):
    text-py   TEXT pub, written through yoton.FileWrapper(channel, 256)
    text-rs   TEXT sub

Output lines:
    CONNECTED
    OK <command>
    CHUNKS <count> <hex>...   the messages FileWrapper(_, 256).write(text)
                              sends for the text (UTF-8 hex each)
    RECV <hex>                a message of text-rs
    RECEIVED <count>
    ERROR <text>

stdin commands:
    write <hex>        FileWrapper.write(text)
    print <hex>        print(text, file=the FileWrapper)
    chunks <hex>       what FileWrapper would send for one write of text
    recv <count> <s>   receive count messages of text-rs, each within s seconds
    exit
"""

import argparse
import os
import sys

from yoton_ref import import_yoton, out, start_watchdog


def text_of(command):
    # An empty text has no hex word at all.
    return bytes.fromhex(command[1] if len(command) > 1 else "").decode("utf-8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()

    start_watchdog(args.deadline)

    yoton = import_yoton()
    ct = yoton.Context()
    stdout = yoton.FileWrapper(yoton.PubChannel(ct, "text-py", yoton.TEXT), 256)
    sub = yoton.SubChannel(ct, "text-rs", yoton.TEXT)

    # A pub channel on a context of its own, whose send only records: a
    # FileWrapper around it shows what FileWrapper sends for a text.
    recorder = yoton.PubChannel(yoton.Context(), "recorder", yoton.TEXT)
    recorded = []
    recorder.send = recorded.append
    cutter = yoton.FileWrapper(recorder, 256)

    try:
        ct.connect(args.address, timeout=5.0)
    except Exception as e:
        out("ERROR", str(e).replace("\n", " "))
        sys.exit(2)
    out("CONNECTED")

    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        op = command[0]
        try:
            if op == "exit":
                os._exit(0)
            elif op == "write":
                stdout.write(text_of(command))
                stdout.flush()
                out("OK", op)
            elif op == "print":
                print(text_of(command), file=stdout)
                stdout.flush()
                out("OK", op)
            elif op == "chunks":
                recorded.clear()
                cutter.write(text_of(command))
                out("CHUNKS", len(recorded), *[m.encode("utf-8").hex() for m in recorded])
            elif op == "recv":
                count, timeout = int(command[1]), float(command[2])
                for _ in range(count):
                    message = sub.recv(timeout)
                    if not message:  # "" when nothing came in time
                        out("ERROR nothing arrived within", timeout, "s")
                        break
                    out("RECV", message.encode("utf-8").hex())
                else:
                    out("RECEIVED", count)
            else:
                out("ERROR unknown command", op)
        except Exception as e:
            out("ERROR", op, repr(e).replace("\n", " "))
    os._exit(0)


if __name__ == "__main__":
    main()
