"""What the scale-out scripts share: running embedviz, reading IDX files, and a local Spark session
bound to the loopback interface."""
import gzip
import os
import subprocess
import sys


def run(command):
    """Runs a command; its stdout, or a RuntimeError with its stderr."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def read_idx(path):
    """An IDX file (plain or .gz) as a NumPy uint8 array of its shape."""
    import numpy as np
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def find(directory, name):
    """`name` or `name.gz` in `directory`, else exit with a hint."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"scaleout: {name} not found in {directory} (run `make data`)")


def uptime():
    """The load averages, recorded beside every timing (the machine is shared)."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def local_spark(name, cores=2, driver_memory="2g"):
    """A SparkSession in local mode with `cores` task slots, bound to 127.0.0.1: without it Spark
    resolves the hostname, warns that it resolves to a loopback address, and binds the driver to
    the machine's network interface instead. (run.sh also exports SPARK_LOCAL_IP=127.0.0.1, which
    the JVM reads before any of this configuration.)"""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession  # imported late: argument checks need no JVM

    spark = (SparkSession.builder.master(f"local[{cores}]").appName(name)
             .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", driver_memory).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.addPyFile(os.path.abspath(__file__))  # the tasks call run() from this module
    return spark
