using System.Buffers.Binary;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// The interface sockets' kernel filter, run by <see cref="BpfInterpreter"/> over the golden
/// frames and over every one-byte change of them: it must drop foreign vhids (the flood
/// the kernel now absorbs) and never a frame the daemon would act on or log.
/// </summary>
public class AdvertFilterTests
{
    static readonly Sender Peer = CapturedVectors.Senders[0];     // 192.0.2.1, vhid 42
    static readonly Sender Other = CapturedVectors.Senders[1];    // 192.0.2.2, vhid 7
    static readonly Sender Far = CapturedVectors.Senders[2];      // 192.0.2.1, vhid 200, 239.192.0.7
    static readonly IpAddress Us = new(192, 0, 2, 9);
    static readonly IpAddress[] NoPeers = [];

    static IpAddress A(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    static byte[] Advert(Sender s) => CapturedVectors.Adverts(s).First();

    static BpfInstruction[] Plain(byte vhid, IpAddress[]? peers = null, IpAddress? own = null) =>
        AdvertFilter.Build(false, [own ?? Us], FilterRule.PlainCarp(vhid, peers ?? NoPeers));

    static bool Passes(BpfInstruction[] program, byte[] frame) => BpfInterpreter.Passes(program, frame);

    [Test]
    public void Ucarps_rule_passes_every_vhid_but_not_our_own_adverts()
    {
        BpfInstruction[] rule = AdvertFilter.Build(false, [Us], FilterRule.AnyVhid);
        Assert.Multiple(() =>
        {
            Assert.That(Passes(rule, Advert(Peer)), Is.True);
            Assert.That(Passes(rule, Advert(Other)), Is.True);
            Assert.That(Passes(AdvertFilter.Build(false, [Peer.Source], FilterRule.AnyVhid), Advert(Peer)), Is.False, "our own advert");
            Assert.That(Passes(rule, CapturedVectors.Arps(Peer).First()), Is.False, "an ARP");
            Assert.That(Passes(rule, Convert.FromHexString(Ipv6FrameTests.Advert)), Is.False, "IPv6 on the IPv4 socket");
            Assert.That(Passes(AdvertFilter.DropAll(), Advert(Peer)), Is.False);
        });
    }

    [Test]
    public void A_plain_group_takes_its_vhid_and_not_another()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Plain(42), Advert(Peer)), Is.True);
            Assert.That(Passes(Plain(42), Advert(Other)), Is.False, "vhid 7");
            Assert.That(Passes(Plain(42), Advert(Far)), Is.False, "vhid 200");
            Assert.That(Passes(Plain(7), Advert(Other)), Is.True);
            Assert.That(Passes(Plain(200), Advert(Far)), Is.True);
        });
    }

    [Test]
    public void What_ucarp_logs_before_the_vhid_passes_whatever_the_vhid()
    {
        byte[] ttl = Advert(Other);
        ttl[22] = 64;
        byte[] version = Advert(Other);
        version[34] = 0x31;
        byte[] cut = Advert(Other)[..69];
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Plain(42), ttl), Is.True, "Bad TTL");
            Assert.That(Passes(Plain(42), version), Is.True, "Bad version");
            Assert.That(Passes(Plain(42), cut), Is.True, "Bogus size");
            // --peer does not check the TTL: another vhid's routed advert is ignored without a word.
            Assert.That(Passes(Plain(42, [Other.Source]), ttl), Is.False, "--peer, routed, vhid 7");
        });
    }

    [Test]
    public void A_unicast_group_takes_its_vhid_from_its_peers_only()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Plain(42, [A("198.51.100.1"), Peer.Source]), Advert(Peer)), Is.True);
            Assert.That(Passes(Plain(42, [A("198.51.100.1")]), Advert(Peer)), Is.False, "not a peer");
        });
    }

    [Test]
    public void Ip_options_move_the_carp_header()
    {
        // IHL 6: four bytes of options (a no-op and an end of list) before the CARP header.
        byte[] plain = Advert(Peer);
        byte[] frame = [.. plain[..34], 1, 0, 0, 0, .. plain[34..]];
        frame[14] = 0x46;
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Plain(42), frame), Is.True);
            Assert.That(Passes(Plain(7), frame), Is.False);
            Assert.That(Passes(AdvertFilter.Build(false, [Us], FilterRule.Dispatch([42])), frame), Is.True);
        });
    }

    [Test]
    public void Ipv6_adverts_by_vhid_and_source()
    {
        byte[] advert = Convert.FromHexString(Ipv6FrameTests.Advert);  // 2001:db8::1, vhid 42
        IpAddress us = A("2001:db8::2");
        BpfInstruction[] Build(FilterRule rule, IpAddress? own = null) => AdvertFilter.Build(true, [own ?? us], rule);
        byte[] ttl = (byte[])advert.Clone();
        ttl[21] = 1;
        Assert.Multiple(() =>
        {
            Assert.That(Passes(Build(FilterRule.AnyVhid), advert), Is.True);
            Assert.That(Passes(Build(FilterRule.AnyVhid, A("2001:db8::1")), advert), Is.False, "our own");
            Assert.That(Passes(Build(FilterRule.PlainCarp(42, NoPeers)), advert), Is.True);
            Assert.That(Passes(Build(FilterRule.PlainCarp(43, NoPeers)), advert), Is.False);
            Assert.That(Passes(Build(FilterRule.PlainCarp(43, NoPeers)), ttl), Is.True, "Bad TTL");
            Assert.That(Passes(Build(FilterRule.PlainCarp(42, [A("2001:db8::1")])), advert), Is.True);
            Assert.That(Passes(Build(FilterRule.PlainCarp(42, [A("2001:db8::1:1")])), advert), Is.False, "last word differs");
            Assert.That(Passes(Build(FilterRule.PlainCarp(42, [A("2001:db9::1")])), advert), Is.False, "first word differs");
            Assert.That(Passes(AdvertFilter.Build(false, [Us], FilterRule.AnyVhid), advert), Is.False, "IPv4 socket");
        });
    }

    [Test]
    public void A_config_daemon_takes_its_groups_vhids_carp_and_vrrp()
    {
        var v3 = Pcap.ReadFrames(Pcap.VectorPath("keepalived-v3.pcap"))[0];          // vrid 51
        var v2 = Pcap.ReadFrames(Pcap.VectorPath("keepalived-v2.pcap"))[0];          // vrid 53
        var v6 = Pcap.ReadFrames(Pcap.VectorPath("keepalived-v3-ipv6.pcap"))[0];     // vrid 52
        var unicast = Pcap.ReadFrames(Pcap.VectorPath("keepalived-v3-unicast.pcap"))[0]; // vrid 56, from 192.0.2.1
        BpfInstruction[] ours = AdvertFilter.Build(false, [Us], FilterRule.Dispatch([42, 51, 56]));
        Assert.Multiple(() =>
        {
            Assert.That(Passes(ours, Advert(Peer)), Is.True, "CARP 42");
            Assert.That(Passes(ours, v3), Is.True, "VRRPv3 51");
            Assert.That(Passes(ours, unicast), Is.True, "VRRPv3 56, unicast");
            Assert.That(Passes(ours, Advert(Other)), Is.False, "CARP 7");
            Assert.That(Passes(ours, v2), Is.False, "VRRPv2 53");
            Assert.That(Passes(AdvertFilter.Build(false, [Us], FilterRule.Dispatch([53])), v2), Is.True, "VRRPv2 53");
            Assert.That(Passes(AdvertFilter.Build(true, [A("2001:db8::2")], FilterRule.Dispatch([52])), v6), Is.True, "IPv6 52");
            Assert.That(Passes(AdvertFilter.Build(true, [A("2001:db8::2")], FilterRule.Dispatch([51])), v6), Is.False, "IPv6 51");
        });
    }

    /// <summary>Every one-byte change of the frame, and every length it can be cut to.</summary>
    static IEnumerable<byte[]> Variants(byte[] frame)
    {
        byte[] values = [0, 1, 2, 7, 0x20, 0x21, 0x31, 42, 0x45, 0x46, 112, 200, 254, 255];
        for (int at = 0; at < frame.Length; at++)
        {
            foreach (byte v in values)
            {
                byte[] changed = (byte[])frame.Clone();
                changed[at] = v;
                yield return changed;
            }
        }
        for (int length = 0; length < frame.Length; length++)
        {
            yield return frame[..length];
        }
    }

    /// <summary>What a plain group may lose to the filter: what carp.c drops without a word (debug lines at most).</summary>
    static readonly Rejection[] Unheard = [Rejection.TooShort, Rejection.WrongFamily, Rejection.OwnAddress, Rejection.NotCarp, Rejection.OtherVhid,
                                            Rejection.NotFromPeer];

    [TestCase(false)]
    [TestCase(true)]
    public void A_plain_group_loses_only_frames_it_ignores_without_a_word(bool unicast)
    {
        IpAddress[] peers = unicast ? [Peer.Source] : NoPeers;
        var reader = new AdvertReader(Us, Peer.Group, Peer.Vhid, Peer.Hmac(), peers);
        BpfInstruction[] filter = Plain(Peer.Vhid, peers);
        int dropped = 0, checkedFrames = 0;
        foreach (byte[] frame in Variants(Advert(Peer)).Concat(Variants(Advert(Other))).Concat(Variants(Advert(Far))))
        {
            checkedFrames++;
            if (!Passes(filter, frame))
            {
                dropped++;
                Rejection why = reader.Read(frame).Rejection;
                Assert.That(Unheard, Does.Contain(why), $"dropped: {Convert.ToHexString(frame)}");
            }
        }
        Assert.That(dropped, Is.GreaterThan(checkedFrames / 3), "the foreign vhids' frames");
    }

    [Test]
    public void A_config_daemon_loses_only_frames_no_group_of_it_would_get()
    {
        var v6 = Pcap.ReadFrames(Pcap.VectorPath("keepalived-v3-ipv6.pcap"))[0];
        byte[] carp6 = Convert.FromHexString(Ipv6FrameTests.Advert);
        byte[] vhids = [42, 52];
        foreach (bool family6 in new[] { false, true })
        {
            BpfInstruction[] filter = AdvertFilter.Build(family6, [family6 ? A("2001:db8::2") : Us], FilterRule.Dispatch(vhids));
            IEnumerable<byte[]> frames = family6 ? Variants(v6).Concat(Variants(carp6))
                : Variants(Advert(Peer)).Concat(Variants(Advert(Other))).Concat(Variants(Pcap.ReadFrames(Pcap.VectorPath("keepalived-v3.pcap"))[0]));
            // The socket is bound to its family's ethertype, and the reader drops any other protocol and our own adverts.
            foreach (byte[] frame in frames)
            {
                if (!Passes(filter, frame) && AdvertRoute.TryRead(frame, family6, out _, out byte vhid)
                    && BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == (family6 ? CarpHeader.EtherTypeIpv6 : CarpHeader.EtherTypeIpv4)
                    && frame[family6 ? 20 : 23] == CarpHeader.Protocol
                    && !(family6 ? A("2001:db8::2").Equals(frame.AsSpan(22, 16)) : Us.Equals(frame.AsSpan(26, 4))))
                {
                    Assert.That(vhids, Does.Not.Contain(vhid), $"dropped: {Convert.ToHexString(frame)}");
                }
            }
        }
    }

    [Test]
    public void The_longest_program_fits_the_kernels_limit()
    {
        IpAddress[] own = Enumerable.Range(1, 40).Select(i => A($"2001:db8::{i:x}")).ToArray();
        byte[] all = Enumerable.Range(1, 255).Select(v => (byte)v).ToArray();
        byte[] advert = Convert.FromHexString(Ipv6FrameTests.Advert);   // from 2001:db8::1, vhid 42
        BpfInstruction[] every = AdvertFilter.Build(true, own[1..], FilterRule.Dispatch(all));
        Assert.Multiple(() =>
        {
            Assert.That(every, Has.Length.LessThanOrEqualTo(BpfProgram.MaxLength));
            Assert.That(Passes(every, advert), Is.True);
            Assert.That(Passes(AdvertFilter.Build(true, own[1..], FilterRule.Dispatch(all[..40])), advert), Is.False, "vhid 42 is not among 1-40");
            // Sources past the 24 the program names are left to the reader.
            Assert.That(Passes(AdvertFilter.Build(true, own, FilterRule.Dispatch(all)), advert), Is.False, "our own, named first");
            Assert.That(Passes(AdvertFilter.Build(true, [.. own[1..25], own[0]], FilterRule.Dispatch(all)), advert), Is.True, "our own, the 25th");
        });
    }
}
