"""What every Python peer of the tests shares: importing the reference
yoton from the installed pyzo, reporting one line per event, and joining
the Rust side by binding or connecting.

The Rust side (yoton-pyref's PyPeer) puts this folder on PYTHONPATH.
"""

import importlib.util
import sys
import time


def import_yoton():
    """The reference yoton, from the pyzo package of this Python."""
    spec = importlib.util.find_spec("pyzo")
    if spec is None or not spec.submodule_search_locations:
        print("ERROR pyzo is not installed for", sys.executable, flush=True)
        sys.exit(2)
    # yoton imports itself absolutely: put the pyzo folder on the path
    # instead of importing pyzo (which would start the IDE).
    sys.path.insert(0, list(spec.submodule_search_locations)[0])
    import yoton

    return yoton


def out(*parts):
    """One line on stdout, flushed: the Rust side reads it as an event."""
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def join(ct, role, address, deadline, max_tries=1, connect_timeout=5.0):
    """Binds (printing BOUND <port>, then waiting for the peer until
    `deadline`) or connects; the connection. On failure: ERROR and exit 2."""
    try:
        if role == "bind":
            c = ct.bind(address, max_tries=max_tries)
            out("BOUND", c.port1)
            # Leaving the waiting state is the sign, and the peer's id that
            # the handshake set: a peer that came and went between two
            # looks counts too, a connection closed without one does not.
            while c.is_waiting:
                if time.time() > deadline:
                    out("ERROR no peer came")
                    sys.exit(2)
                time.sleep(0.005)
            if not c.id2:
                out("ERROR closed before a peer came")
                sys.exit(2)
        else:
            c = ct.connect(address, timeout=connect_timeout)
    except Exception as e:
        out("ERROR", str(e).replace("\n", " "))
        sys.exit(2)
    return c


def start_watchdog(seconds):
    """Ends the process (ERROR, exit code 2) after `seconds`, whatever it
    is doing, so that no peer outlives its test."""
    import os
    import threading

    def give_up():
        out("ERROR deadline passed")
        os._exit(2)

    watchdog = threading.Timer(seconds, give_up)
    watchdog.daemon = True
    watchdog.start()
