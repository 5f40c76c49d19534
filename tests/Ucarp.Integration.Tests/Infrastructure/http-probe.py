#!/usr/bin/env python3
# Scrapes --metrics-listen as a test needs (run inside the daemon's namespace):
#   http-probe.py HOST PORT HOLD_SECONDS
# A good scrape, HEAD, and the requests that must be refused; then, for HOLD_SECONDS,
# 40 idle connections (more than the daemon serves) and one that trickles a byte every
# 0.2 s; then a scrape again. Prints one JSON object. Bounded: every socket has a timeout.
import json, socket, sys, time

host, port, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])


def ask(raw):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(raw)
    data = b''
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return data.decode('utf-8', 'replace')


out = {
    'get': ask(b'GET /metrics?x=1 HTTP/1.1\r\nHost: n1\r\n\r\n'),
    'head': ask(b'HEAD /metrics HTTP/1.1\r\n\r\n'),
    'post': ask(b'POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n').split('\r\n')[0],
    'other': ask(b'GET / HTTP/1.0\r\n\r\n').split('\r\n')[0],
    'big': ask(b'GET /metrics HTTP/1.1\r\nX: ' + b'a' * 9000 + b'\r\n\r\n').split('\r\n')[0],
    'junk': ask(b'\x00\xff garbage\r\n\r\n').split('\r\n')[0],
}
trickle = socket.create_connection((host, port), timeout=5)
idle = [socket.create_connection((host, port), timeout=5) for _ in range(40)]
start = time.time()
closed = None
while time.time() - start < hold:
    try:
        trickle.send(b'G')
    except OSError:
        closed = closed or time.time() - start
    time.sleep(0.2)
out['trickle_closed_after'] = closed
out['after'] = ask(b'GET /metrics HTTP/1.1\r\n\r\n').split('\r\n')[0]
for s in idle + [trickle]:
    s.close()
print(json.dumps(out))
