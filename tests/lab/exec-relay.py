#!/usr/bin/python3
"""pgcrm-lab's exec relay: `pgcrm-lab exec NODE CMD...` from inside another node of the lab.

From the host, `exec` enters a node's namespaces with nsenter. Inside a node that is
impossible: each node has its own pid namespace, and a sibling's cannot be entered. So every
node runs this relay (`serve`), listening on a unix socket in the lab's state directory
(root-only, a filesystem path, so it is reachable from every node whatever its network
namespace); `exec` inside a node is the `client`. It stands in for ssh in the drills: it
runs argv as given (no remote shell re-splitting), streams stdin in and stdout/stderr out
while the command runs, and exits with the command's status. When the client goes away,
the command's process group gets SIGTERM, as a command loses its ssh session.

Frames from the relay: 1 byte channel (1 stdout, 2 stderr, 3 exit status), 4 bytes length,
data. The client sends one JSON line {"argv": [...]}, then its stdin until EOF.

    exec-relay.py serve SOCKET
    exec-relay.py client SOCKET CMD...
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading


def send(conn, lock, chan, data):
    with lock:
        conn.sendall(struct.pack("!BI", chan, len(data)) + data)


def handle(conn):
    lock = threading.Lock()
    f = conn.makefile("rb")
    try:
        argv = json.loads(f.readline())["argv"]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd="/",
            start_new_session=True,
        )
    except (OSError, ValueError, KeyError) as e:
        try:
            send(conn, lock, 2, f"pgcrm-lab exec relay: {e}\n".encode())
            send(conn, lock, 3, struct.pack("!i", 127))
        finally:
            conn.close()
        return

    def stop():
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except OSError:
            pass

    def feed():
        try:
            while True:
                data = f.read1(65536)
                if not data:
                    break
                proc.stdin.write(data)
                proc.stdin.flush()
        except (OSError, ValueError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def pump(src, chan):
        try:
            while True:
                data = src.read1(65536)
                if not data:
                    break
                send(conn, lock, chan, data)
        except OSError:
            stop()  # the client is gone

    threading.Thread(target=feed, daemon=True).start()
    pumps = [threading.Thread(target=pump, args=(proc.stdout, 1)),
             threading.Thread(target=pump, args=(proc.stderr, 2))]
    for t in pumps:
        t.start()
    for t in pumps:
        t.join()
    rc = proc.wait()
    try:
        send(conn, lock, 3, struct.pack("!i", rc if rc >= 0 else 128 - rc))
    except OSError:
        pass
    conn.close()


def serve(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)
    srv.bind(path)
    os.umask(old)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def client(path, argv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(json.dumps({"argv": argv}).encode() + b"\n")

    def feed():
        try:
            while True:
                data = os.read(0, 65536)
                if not data:
                    break
                s.sendall(data)
        except OSError:
            pass
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    threading.Thread(target=feed, daemon=True).start()
    f = s.makefile("rb")
    while True:
        head = f.read(5)
        if len(head) < 5:
            os._exit(255)
        chan, n = struct.unpack("!BI", head)
        data = f.read(n)
        if chan == 3:
            os._exit(struct.unpack("!i", data)[0])
        try:
            write_all(chan, data)
        except OSError:
            os._exit(141)  # our reader is gone: closing the socket stops the command


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "client":
        client(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("usage: exec-relay.py serve SOCKET | client SOCKET CMD...")
