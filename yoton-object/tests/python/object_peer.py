"""The reference's OBJECT packing as a test peer of yoton-object.

Commands, one per line on stdin; answers, one per line on stdout:

    GEN <seed> <count>  ->  VALUE <packed hex> <repr as UTF-8 hex>   (count lines)
                            then DONE
    DECODE <hex>        ->  DECODED <repr as UTF-8 hex> <re-packed hex>
                         or FAILED <exception type name>
    QUIT                ->  (exits)

The values of GEN are random but repeatable: every kind of OBJECT value,
ints across i64, floats with their special values, str with non-ASCII and
long lengths, nested lists, tuples and dicts with hashable keys.
"""

import argparse
import importlib.util
import math
import random
import struct
import sys
import threading
import os


def import_object():
    spec = importlib.util.find_spec("pyzo")
    if spec is None:
        print("ERROR pyzo is not installed", flush=True)
        sys.exit(2)
    # yoton imports itself absolutely: put the pyzo folder on the path
    # instead of importing pyzo (which would start the IDE).
    sys.path.insert(0, list(spec.submodule_search_locations)[0])
    from yoton.channels.message_types import OBJECT

    return OBJECT


CHARS = "abcxyz AZ09'\"\\\n\t\r\x01\xe9\u20ac\U0001f600\u4e2d"


def random_float(rng):
    pick = rng.random()
    if pick < 0.1:
        return rng.choice([0.0, -0.0, math.inf, -math.inf, 1e16, 1e-5, 0.0001, 1.5])
    if pick < 0.5:
        return rng.uniform(-1e6, 1e6)
    bits = rng.getrandbits(64)
    value = struct.unpack("<d", struct.pack("<Q", bits))[0]
    return 0.5 if math.isnan(value) else value


def random_str(rng):
    n = rng.choice([0, 1, 3, 10, 254, 255, 256, 300]) if rng.random() < 0.2 else rng.randrange(8)
    return "".join(rng.choice(CHARS) for _ in range(n))


def random_scalar(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([rng.randrange(-(2**63), 2**63), rng.randrange(-300, 300)])
    if kind == 3:
        return random_float(rng)
    return random_str(rng)


def random_key(rng, depth):
    if depth < 2 and rng.random() < 0.2:
        return tuple(random_key(rng, depth + 1) for _ in range(rng.randrange(3)))
    return random_scalar(rng)


def random_value(rng, depth=0):
    if depth >= 4 or rng.random() < 0.4:
        return random_scalar(rng)
    kind = rng.randrange(3)
    n = rng.randrange(6)
    if kind == 0:
        return [random_value(rng, depth + 1) for _ in range(n)]
    if kind == 1:
        return tuple(random_value(rng, depth + 1) for _ in range(n))
    return {random_key(rng, 0): random_value(rng, depth + 1) for _ in range(n)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deadline", type=float, default=60.0)
    args = parser.parse_args()
    # Never outlive the test that started us.
    timer = threading.Timer(args.deadline, lambda: os._exit(3))
    timer.daemon = True
    timer.start()

    OBJECT = import_object()
    print("READY", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "QUIT":
            break
        if words[0] == "GEN":
            rng = random.Random(int(words[1]))
            for _ in range(int(words[2])):
                value = random_value(rng)
                packed = OBJECT.message_to_bytes(value)
                print("VALUE", packed.hex(), repr(value).encode("utf-8").hex())
            print("DONE", flush=True)
        elif words[0] == "DECODE":
            data = bytes.fromhex(words[1] if len(words) > 1 else "")
            try:
                value = OBJECT.message_from_bytes(data)
            except Exception as e:  # the test compares the kind of failure
                print("FAILED", type(e).__name__, flush=True)
                continue
            print(
                "DECODED",
                repr(value).encode("utf-8").hex(),
                OBJECT.message_to_bytes(value).hex(),
                flush=True,
            )
        else:
            print("ERROR unknown command", words[0], flush=True)


if __name__ == "__main__":
    main()
