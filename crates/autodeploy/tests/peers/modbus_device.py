"""A Modbus TCP test device for the autodeploy scan tests: a power meter on unit 1 with
device identification (vendor detectviz-test-meter), input registers 0..5 and coil 0.
Other unit ids get no answer, like a real single device. Usage: modbus_device.py PORT"""

import asyncio
import sys

from pymodbus import ModbusDeviceIdentification
from pymodbus.datastore import (
    ModbusDeviceContext,
    ModbusSequentialDataBlock,
    ModbusServerContext,
)
from pymodbus.server import StartAsyncTcpServer


async def main(port: int) -> None:
    # Sequential blocks start one below the protocol address (pymodbus subtracts 1).
    meter = ModbusDeviceContext(
        ir=ModbusSequentialDataBlock(1, [2301, 512, 0, 1178, 0, 48213]),
        hr=ModbusSequentialDataBlock(1, [7, 0, 0, 0]),
        co=ModbusSequentialDataBlock(1, [True, False]),
        di=ModbusSequentialDataBlock(1, [False, False]),
    )
    context = ModbusServerContext(devices={1: meter}, single=False)
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "detectviz-test-meter",
            "ProductCode": "PM-3",
            "MajorMinorRevision": "1.4.2",
            "VendorUrl": "https://example.invalid/pm3",
            "ProductName": "Test Power Meter",
            "ModelName": "PM-3 Lab",
        }
    )
    await StartAsyncTcpServer(context=context, identity=identity, address=("127.0.0.1", port))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
