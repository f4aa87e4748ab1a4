"""The Python `ocpp` library's parse + validate of a MeterValues CALL and its CALLRESULT, the peer of ocpp-bench."""
import json
import sys
import timeit

from ocpp.messages import unpack, validate_payload

frame = open(sys.argv[1]).read()
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


def once():
    call = unpack(frame)
    validate_payload(call, "1.6")
    result = call.create_call_result({})
    validate_payload(result, "1.6")
    return result.to_json()


once()
seconds = timeit.timeit(once, number=iterations)
print(json.dumps({"bytes": len(frame.encode()), "iterations": iterations, "usPerMessage": seconds / iterations * 1e6}))
