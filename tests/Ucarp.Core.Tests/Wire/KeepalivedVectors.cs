using System.Buffers.Binary;
using System.Text;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>One of Vectors/keepalived-*.pcap, as capture-keepalived.sh configured it (Vectors/README.md).</summary>
public sealed record KeepalivedCase(string Name, byte Version, IpAddress Source, IpAddress Group, byte Vrid, byte Priority,
                                    ushort IntervalCentis, IpAddress[] Addresses, string Password, IpAddress[] Peers)
{
    public string File => $"keepalived-{Name}.pcap";

    public byte[] PasswordBytes => Encoding.ASCII.GetBytes(Password);

    public bool V6 => Source.IsV6;

    /// <summary>Every advert in the file, in order; with peers, one per peer per round.</summary>
    public List<byte[]> Frames() => Pcap.ReadFrames(Pcap.VectorPath(File));

    public VrrpAdvertBuilder Builder(bool rfcChecksum = false) =>
        new(Version, Source, Group, Vrid, Addresses, PasswordBytes, rfcChecksum, KeepalivedVectors.Mac);

    /// <summary>A reader on the receiving side: our own address is the one the frame went to when unicast.</summary>
    public VrrpReader Reader(IpAddress us) =>
        new(Version, us, Group, Vrid, PasswordBytes, IntervalCentis, Peers.Length == 0 ? [] : [Source]);

    public override string ToString() => Name;
}

public static class KeepalivedVectors
{
    /// <summary>The MAC of keepalived's interface in the capture (va).</summary>
    public static readonly byte[] Mac = [0x02, 0x00, 0x00, 0x00, 0x0a, 0x01];

    public static readonly IpAddress Sender = new(192, 0, 2, 1);
    public static readonly IpAddress Receiver = new(192, 0, 2, 2);
    public static readonly IpAddress Group4 = new(224, 0, 0, 18);
    public static readonly IpAddress Group6 = A("ff02::12");
    public static readonly IpAddress Vip = new(192, 0, 2, 100);

    /// <summary>keepalived sends IPv6 adverts from the interface's link-local address (EUI-64 of va's MAC).</summary>
    public static readonly IpAddress LinkLocal = A("fe80::ff:fe00:a01");
    public static readonly IpAddress ReceiverLinkLocal = A("fe80::ff:fe00:b01");

    public static IpAddress A(string text) => Inet.TryParse(text, out IpAddress a) ? a : throw new ArgumentException(text);

    public static readonly KeepalivedCase[] Cases =
    [
        new("v3", 3, Sender, Group4, 51, 100, 100, [Vip], "", []),
        new("v3-addresses", 3, Sender, Group4, 55, 200, 50, [Vip, new(192, 0, 2, 101), new(192, 0, 2, 102)], "", []),
        new("v3-ipv6", 3, LinkLocal, Group6, 52, 100, 100, [A("2001:db8::100")], "", []),
        new("v2", 2, Sender, Group4, 53, 150, 100, [Vip, new(192, 0, 2, 101)], "", []),
        new("v2-pass", 2, Sender, Group4, 54, 100, 100, [Vip], "secret1", []),
        new("v3-unicast", 3, Sender, Group4, 56, 100, 100, [Vip], "", [Receiver, new(192, 0, 2, 3)]),
        new("v2-unicast", 2, Sender, Group4, 57, 100, 100, [Vip], "", [Receiver, new(192, 0, 2, 3)]),
    ];

    public static KeepalivedCase Case(string name) => Cases.Single(c => c.Name == name);

    /// <summary>Where a frame went: its IP destination.</summary>
    public static IpAddress Destination(byte[] frame) =>
        BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == CarpHeader.EtherTypeIpv6
            ? new IpAddress(frame.AsSpan(14 + 24, 16))
            : new IpAddress(frame.AsSpan(14 + 16, 4));
}
