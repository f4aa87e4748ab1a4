"""pymodbus async TCP server with 2000 holding registers, the Python peer of scripts/bench-modbus.sh."""
import asyncio
import logging
import sys
import warnings

from pymodbus.server import StartAsyncTcpServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pymodbus.datastore import ModbusDeviceContext, ModbusServerContext, ModbusSparseDataBlock

logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
port = int(sys.argv[1]) if len(sys.argv) > 1 else 15504
context = ModbusServerContext(devices={1: ModbusDeviceContext(hr=ModbusSparseDataBlock({i: i for i in range(2000)}))}, single=False)
asyncio.run(StartAsyncTcpServer(context, address=("127.0.0.1", port)))
