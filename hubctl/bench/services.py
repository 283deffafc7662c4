"""The far side of the stack in a process of its own: a moto server and an e-conomic sandbox.

`python -m hubctl.bench.services` starts both on loopback, prints one JSON line with their
URLs (`{"aws": ..., "economic": ...}`) and serves until its standard input closes. The
burst runs the hub in the parent process, so that the parent's memory is the hub's own and
not moto's or the sandbox's, which keep every item and request they receive.
"""

from __future__ import annotations

import json
import sys

from moto.server import ThreadedMotoServer

from hubctl.demo import DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN
from hubctl.sandboxes.economic import EconomicSandbox

LOOPBACK = "127.0.0.1"


def main() -> int:
    moto = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    moto.start()
    economic = EconomicSandbox(DEMO_ECONOMIC_APP_TOKEN, DEMO_ECONOMIC_GRANT_TOKEN, host=LOOPBACK)
    economic_url = economic.start()
    host, port = moto.get_host_and_port()
    print(json.dumps({"aws": f"http://{host}:{port}", "economic": economic_url}), flush=True)

    sys.stdin.read()

    economic.stop()
    moto.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
