#!/usr/bin/python3
"""Builds the IPv6 golden frames of Ipv6FrameTests from the specifications alone,
with Python's own hmac and a checksum written here, independently of the C# code:
RFC 2464 (33:33 multicast MACs), RFC 8200 (the IPv6 header), FreeBSD's ip_carp.c
(carp_send_ad_locked: hop limit 255, next header 112, CARP checksum over the CARP
header alone; carp_hmac_prepare: HMAC-SHA1 over 02 01 vhid, the 16-byte address
and the counter) and RFC 4861 (the unsolicited Neighbour Advertisement).
tshark decodes both with correct checksums (Ipv6Tests checks that on the wire).
Run it and paste its output into Ipv6FrameTests.cs if the fields there change."""
import hashlib, hmac, ipaddress, struct

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def a6(text):
    return ipaddress.IPv6Address(text).packed

def advert(src, group, vhid, advbase, advskew, counter, password, vip):
    key = password.encode()
    digest = hmac.new(key, bytes([2, 1, vhid]) + a6(vip) + struct.pack("!Q", counter), hashlib.sha1).digest()
    carp = bytes([0x21, vhid, advskew, 7, 0, advbase]) + b"\0\0" + struct.pack("!Q", counter) + digest
    carp = carp[:6] + struct.pack("!H", csum(carp)) + carp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(carp), 112, 255) + a6(src) + a6(group)
    eth = b"\x33\x33" + a6(group)[12:] + bytes([0, 0, 0x5e, 0, 0, vhid]) + b"\x86\xdd"
    return eth + ip6 + carp

def neighbour_advert(mac, vip):
    macb = bytes.fromhex(mac.replace(":", ""))
    icmp = bytes([136, 0, 0, 0, 0x20, 0, 0, 0]) + a6(vip) + bytes([2, 1]) + macb
    pseudo = a6(vip) + a6("ff02::1") + struct.pack("!I", len(icmp)) + b"\0\0\0" + bytes([58])
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + a6(vip) + a6("ff02::1")
    eth = b"\x33\x33\x00\x00\x00\x01" + macb + b"\x86\xdd"
    return eth + ip6 + icmp

print("advert:", advert("2001:db8::1", "ff02::12", 42, 1, 0, 0x0123456789ABCDEF, "test", "2001:db8::100").hex())
print("advert-skew:", advert("2001:db8:0:1::7", "ff02::12", 7, 3, 100, 0xFFFFFFFFFFFFFFFF, "nineteen-bytes-long", "fe80::100").hex())
print("na:", neighbour_advert("02:00:00:00:00:01", "2001:db8::100").hex())
