"""The Python `ocpp` library's parse + validate of a MeterValues CALL and its CALLRESULT, the peer of ocpp-bench.
`validate_payload` is a coroutine in ocpp 2.x: every validation is awaited, as the library's ChargePoint does."""
import asyncio
import json
import sys
import time

from ocpp.messages import unpack, validate_payload

frame = open(sys.argv[1]).read()
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


async def once():
    call = unpack(frame)
    await validate_payload(call, "1.6")
    result = call.create_call_result({})
    await validate_payload(result, "1.6")
    return result.to_json()


async def run(n):
    await once()
    start = time.perf_counter()
    for _ in range(n):
        await once()
    return time.perf_counter() - start


seconds = asyncio.run(run(iterations))
print(json.dumps({"bytes": len(frame.encode()), "iterations": iterations, "usPerMessage": seconds / iterations * 1e6}))
