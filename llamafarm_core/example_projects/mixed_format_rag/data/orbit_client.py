"""A tiny client for the Orbit kettle's local HTTP API. Synthetic document written for the LlamaFarm examples; every name in it is fictional."""

import json
import urllib.request


def set_temperature(host: str, celsius: int) -> dict:
    """Ask the kettle at ``host`` to heat water to ``celsius`` degrees (40 to 100)."""
    if not 40 <= celsius <= 100:
        raise ValueError("the kettle heats to between 40 and 100 degrees")
    body = json.dumps({"target_celsius": celsius}).encode()
    request = urllib.request.Request(f"http://{host}/api/v1/heat", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)
