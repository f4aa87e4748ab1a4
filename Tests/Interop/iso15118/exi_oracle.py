"""The independent EXI codec for the oracle tests: EXIficient 1.55 (the EXICodec.jar in Josev's `iso15118` wheel),
reached through py4j the way Josev's own ExificientEXICodec does. Runs under CHARGEKIT_JOSEV_PYTHON (Josev's venv) as
a long-lived helper so the JVM starts once: one JSON request per line on stdin, one JSON answer per line on stdout.

    {"op": "encode", "ns": "<namespace>", "json": "<message JSON>"}  ->  {"hex": "..."} | {"error": "..."}
    {"op": "decode", "ns": "<namespace>", "hex": "..."}              ->  {"json": "..."} | {"error": "..."}
    {"op": "time", "ns": ..., "json": ..., "n": 200}                  ->  {"encode_us": ..., "decode_us": ...}

"time" measures n encodes and n decodes inside one py4j call each way is not possible, so it reports the per-call
time including py4j's round trip (the bench script says so).
"""
import json
import logging
import sys
import time


def main():
    from py4j.java_gateway import JavaGateway

    from iso15118.shared.settings import JAR_FILE_PATH

    logging.getLogger("py4j").setLevel(logging.CRITICAL)
    gateway = JavaGateway.launch_gateway(classpath=JAR_FILE_PATH, die_on_exit=True,
                                         javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"])
    codec = gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()
    print(json.dumps({"ready": codec.get_version(), "jar": JAR_FILE_PATH}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            if req["op"] == "encode":
                out = codec.encode(req["json"], req["ns"])
                answer = {"hex": bytes(out).hex()} if out is not None else {"error": codec.get_last_encoding_error()}
            elif req["op"] == "decode":
                out = codec.decode(bytes.fromhex(req["hex"]), req["ns"])
                answer = {"json": out} if out is not None else {"error": codec.get_last_decoding_error()}
            elif req["op"] == "time":
                n = int(req.get("n", 100))
                t0 = time.perf_counter()
                for _ in range(n):
                    out = codec.encode(req["json"], req["ns"])
                t1 = time.perf_counter()
                for _ in range(n):
                    codec.decode(out, req["ns"])
                t2 = time.perf_counter()
                answer = {"encode_us": (t1 - t0) / n * 1e6, "decode_us": (t2 - t1) / n * 1e6}
            else:
                answer = {"error": "unknown op %r" % req["op"]}
        except Exception as exc:  # a Java exception through py4j: the answer names it, the helper keeps running
            answer = {"error": "%s: %s" % (type(exc).__name__, exc)}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
