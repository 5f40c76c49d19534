using System.Buffers.Binary;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>The senders of Vectors/*.pcap, as Vectors/README.md describes them.</summary>
public sealed record Sender(string File, IpAddress Source, byte Vhid, string Password, IpAddress Vip, byte AdvBase, byte AdvSkew, IpAddress Group, bool Broadcast)
{
    public CarpHmac Hmac() => new(Encoding.ASCII.GetBytes(Password), Vhid, Vip);

    public override string ToString() => $"{Source} vhid {Vhid}";
}

public static class CapturedVectors
{
    static readonly IpAddress DefaultGroup = new(224, 0, 0, 18);

    public static readonly Sender[] Senders =
    [
        new("ucarp-1.5.2-adverts.pcap", new(192, 0, 2, 1), 42, "love", new(192, 0, 2, 100), 1, 0, DefaultGroup, false),
        new("ucarp-1.5.2-adverts.pcap", new(192, 0, 2, 2), 7, "s3cret", new(192, 0, 2, 200), 1, 100, DefaultGroup, true),
        new("ucarp-1.5.2-mcast-group.pcap", new(192, 0, 2, 1), 200, "abcdefghijklmnopqrs", new(192, 0, 2, 150), 2, 255, new(239, 192, 0, 7), false),
    ];

    public static IEnumerable<byte[]> Adverts(Sender s) =>
        Pcap.ReadFrames(Pcap.VectorPath(s.File)).Where(f =>
            BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == CarpHeader.EtherTypeIpv4 && s.Source.Equals(f.AsSpan(26, 4)));

    public static IEnumerable<byte[]> Arps(Sender s) =>
        Pcap.ReadFrames(Pcap.VectorPath(s.File)).Where(f =>
            BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == CarpHeader.EtherTypeArp && s.Vip.Equals(f.AsSpan(28, 4)));
}
