#!/usr/bin/env python3
"""A scripted, hostile etcd member for the client's tests (EtcdHostileMemberTests).

    fake-etcd.py ADDRESS PORT SCENARIO [SECONDS]

Serves SCENARIO to every connection on ADDRESS:PORT for at most SECONDS (default 120),
printing one line per event ("connection", "request PATH", "watch open N", "watch closed"):

  empty         every request answered 200 {}
  grant-no-ttl  a lease grant with an ID and no TTL; the rest 200 {}
  chunk-17      a chunk size of 17 hex digits
  chunk-minus-1 a chunk size of FFFFFFFFFFFFFFFF (-1 as an int64)
  huge-body     Content-Length: 5000000000, then bytes for as long as the client reads
  huge-header   a header line that never ends
  trickle       a valid grant answer, one byte every 600 ms
  array-16mib   every request answered with a body just under 16 MiB of [0,0,...], the
                Content-Length given (over the client's 8 MiB bound: refused at the head)
  kvs-16mib     {"kvs":[0,0,...]} just under 16 MiB, in 64 KiB chunks: read until the
                client's 8 MiB bound on a body stops it
  kvs-tree      {"kvs":[0,0,...]} of 180,000 elements (352 KiB): a tree just under the
                client's bound on what one answer keeps (11.4 MiB), from a small body
  silent        accepts and reads, never answers (a TLS handshake that never completes)
  stale-holder  a key held by 192.0.2.9 whose lease changes at every read, and watches
                that open and then stay silent for ever, as a member powered off does
"""
import socket, sys, threading, time, json, base64, itertools

address, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lifetime = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
lock = threading.RLock()
reads = itertools.count()
watches_open = 0
watches_total = 0
# Just under the client's 16 MiB bound on a body: "[" then "0," repeated, then "0]".
ARRAY = b"[" + b"0," * ((16 * 1024 * 1024 - 4) // 2) + b"0]"
KVS = b'{"kvs":[' + b"0," * ((16 * 1024 * 1024 - 12) // 2) + b"0]}"
TREE = b'{"kvs":[' + b"0," * 179999 + b"0]}"


def say(text):
    with lock:
        print(text, flush=True)


def header(revision=5):
    return {"cluster_id": "1", "member_id": "2", "revision": str(revision), "raft_term": "2"}


def reply(conn, body, status="200 OK"):
    data = json.dumps(body).encode()
    conn.sendall(b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                 + str(len(data)).encode() + b"\r\n\r\n" + data)


def read_request(conn):
    """The request line's path and the body (the client always sends Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None, None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(4096)
        if not chunk:
            break
        body += chunk
    return lines[0].split(" ")[1], body


def stream_until_closed(conn, start, filler):
    conn.sendall(start)
    block = filler * 65536
    try:
        while True:
            conn.sendall(block)
    except OSError:
        pass


def wait_closed(conn):
    """Blocks until the client closes or shuts down its end."""
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


def holder_kv():
    lease = 7001 + next(reads) % 2
    record = json.dumps({"holder": "192.0.2.9", "advskew": 0, "host": "fake", "interface": "eth0", "vhid": 42})
    return {"key": base64.b64encode(b"/ucarp/192.0.2.100").decode(), "create_revision": "3", "mod_revision": "4",
            "version": "1", "value": base64.b64encode(record.encode()).decode(), "lease": str(lease)}


def stale_holder(conn, path, body):
    global watches_open, watches_total
    if path == "/v3/lease/grant":
        reply(conn, {"header": header(), "ID": "1000", "TTL": "1"})
    elif path == "/v3/lease/keepalive":
        reply(conn, {"result": {"header": header(), "ID": "1000", "TTL": "1"}})
    elif path == "/v3/kv/range":
        reply(conn, {"header": header(), "kvs": [holder_kv()], "count": "1"})
    elif path == "/v3/kv/txn":
        reply(conn, {"header": header(), "responses": [{"response_range": {"header": header(), "kvs": [holder_kv()], "count": "1"}}]})
    elif path == "/v3/watch":
        created = json.dumps({"result": {"header": header(), "created": True}}).encode() + b"\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(created) + created + b"\r\n")
        with lock:
            watches_open += 1
            watches_total += 1
            say(f"watch open {watches_total} ({watches_open} open)")
        wait_closed(conn)
        with lock:
            watches_open -= 1
        say(f"watch closed ({watches_open} open)")
    else:
        reply(conn, {"header": header()})


def serve(conn):
    say("connection")
    try:
        if scenario == "silent":
            wait_closed(conn)
            return
        path, body = read_request(conn)
        if path is None:
            return
        say("request " + path)
        if scenario == "empty":
            reply(conn, {})
        elif scenario == "grant-no-ttl":
            reply(conn, {"header": header(), "ID": "1000"} if path == "/v3/lease/grant" else {})
        elif scenario == "chunk-17":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")
        elif scenario == "chunk-minus-1":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n")
        elif scenario == "huge-body":
            stream_until_closed(conn, b"HTTP/1.1 200 OK\r\nContent-Length: 5000000000\r\n\r\n", b" ")
        elif scenario == "huge-header":
            stream_until_closed(conn, b"HTTP/1.1 200 OK\r\nX-Padding: ", b"a")
        elif scenario == "array-16mib":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(ARRAY)).encode() + b"\r\n\r\n" + ARRAY)
        elif scenario == "kvs-tree":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(TREE)).encode() + b"\r\n\r\n" + TREE)
        elif scenario == "kvs-16mib":
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for at in range(0, len(KVS), 65536):
                part = KVS[at:at + 65536]
                conn.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
        elif scenario == "trickle":
            data = json.dumps({"header": header(), "ID": "1000", "TTL": "3"}).encode()
            answer = b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(data)).encode() + b"\r\n\r\n" + data
            for i in range(len(answer)):
                conn.sendall(answer[i:i + 1])
                time.sleep(0.6)
        elif scenario == "stale-holder":
            stale_holder(conn, path, body)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((address, port))
    server.listen(64)
    server.settimeout(0.5)
    say(f"listening {address}:{port} {scenario}")
    end = time.monotonic() + lifetime
    while time.monotonic() < end:
        try:
            conn, _ = server.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
