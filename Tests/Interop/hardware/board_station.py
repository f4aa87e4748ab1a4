"""A station on real-hardware drivers (`chargekit station --board FILE`) for the hardware suites, started like the
simulated one (free ports, private data directory, station.json) but with a board description instead of --simulate."""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from station import BIN, Station, cli, wait_for  # noqa: E402,F401


class BoardStation(Station):
    def __init__(self, data_dir, board, config=(), time_scale=1.0):
        super().__init__(data_dir, connectors=len(board["connectors"]), time_scale=time_scale, cards=())
        self.board_file = data_dir.parent / f"{data_dir.name}-board.json"
        self.board_file.write_text(json.dumps(board, indent=1))
        self.config = list(config)

    def start(self):
        for key, value in self.config:
            r = cli("config", "set", key, value, "--role", "manufacturer", data_dir=self.data_dir)
            assert r.returncode == 0, r.stderr
        runtime = self.data_dir / "station.json"
        if runtime.exists():
            runtime.unlink()
        argv = [BIN, "station", "--board", str(self.board_file), "--data-dir", str(self.data_dir), "--http-port", "0",
                "--https-port", "0", "--time-scale", str(self.time_scale), "--log-level", self.log_level, *self.extra]
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.log"
        self.log = open(self.log_path, "ab")
        import os
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log, env={**os.environ, **self.env})
        try:
            info = wait_for(lambda: self._runtime_info(), timeout=60, what="station.json")
        except AssertionError:
            self.log.flush()
            raise AssertionError(self.log_path.read_text(errors="replace")[-3000:]) from None
        self.attach(info)
        wait_for(lambda: self.get("/api/status")[0] == 200, what="status API")
        return self

    def errors(self):
        return {(e["id"], e.get("connector")) for e in self.status()["activeErrors"]}


def start_fails(data_dir, board, timeout=60):
    """Starts `chargekit station --board` on `board` and expects it to stop at start; returns its output."""
    path = data_dir.parent / f"{data_dir.name}-board.json"
    path.write_text(json.dumps(board))
    r = subprocess.run([BIN, "station", "--board", str(path), "--data-dir", str(data_dir), "--http-port", "0",
                        "--https-port", "0"], capture_output=True, text=True, timeout=timeout)
    assert r.returncode != 0, r.stdout + r.stderr
    return r.stdout + r.stderr
