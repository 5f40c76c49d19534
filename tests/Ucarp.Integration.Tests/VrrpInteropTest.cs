using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// What the VRRP interop tests share, whoever the other router is (keepalived, FRR's
/// vrrpd): our daemon on node 1 and theirs on node 2 in group 42, adverts every second;
/// the RFC's timers; and the adverts read off the bridge (<see cref="VrrpFrame"/>), from
/// which handovers and failovers are timed.
/// </summary>
public abstract class VrrpInteropTest : NamespaceTest
{
    protected const int Ours = 1, Theirs = 2;
    protected const string Filter = "ip proto 112 or ip6 proto 112";
    /// <summary>A window that shows a backup stays backup: past a master-down interval at priority 100 (3.61 s).</summary>
    protected static readonly TimeSpan PastVrrpMasterDown = TimeSpan.FromSeconds(4.6);
    /// <summary>What load may add to a protocol time before a bound is missed (the tests run side by side).</summary>
    protected const double SlackMs = 1000;

    /// <summary>RFC 5798 6.1 (and RFC 3768's, at one second): the skew time at a priority.</summary>
    protected static double SkewMs(int priority, double intervalMs = 1000) => (256 - priority) * intervalMs / 256;

    protected static double MasterDownMs(int priority, double intervalMs = 1000) => 3 * intervalMs + SkewMs(priority, intervalMs);

    /// <summary>Our daemon on node 1 in VRRP group 42: the harness's usual arguments without -p/-k/-b.</summary>
    private protected static UcarpProcess StartOurs(TestLan lan, int version, int priority, string source, params string[] extra) =>
        lan.StartRaw(Ours, Binary("clone"),
        [
            "-i", "eth0", "-s", source, "-v", "42", "-a", lan.VirtualAddress, $"--vrrp={version}",
            $"--priority={priority}", "--advert-int=1", "-u", lan.UpScript, "-d", lan.DownScript, .. extra,
        ]);

    private protected static bool OursMaster(TestLan lan) => lan.HoldsVip(Ours);

    /// <summary>
    /// Our adverts against the other router's (<paramref name="whose"/>), field by field: the
    /// same Ethernet and IP destination, TOS, fragment field (no DF; not compared when
    /// <paramref name="theirsSetsDf"/>, and then theirs has DF), TTL, protocol; VRRP version
    /// and type, VRID, address count, interval and addresses; and each one's checksum, with
    /// the pseudo-header (RFC 5798).
    /// </summary>
    private protected static void CheckOursMatch(List<Frame> captured, string ours, string theirs, string whose, string context, bool theirsSetsDf = false)
    {
        List<VrrpFrame> mine = Adverts(captured, ours), other = Adverts(captured, theirs);
        Assert.That(mine, Is.Not.Empty);
        Assert.That(other, Is.Not.Empty);
        VrrpFrame k = other.First(f => f.Priority != 0);
        // Ours never sets DF; FRR lets the kernel build its IPv4 header, which sets it. No receiver reads it.
        int fragment = theirsSetsDf && !k.Ipv6 ? 0 : k.Fragment;
        Assert.That(other.All(f => f.Fragment == (theirsSetsDf && !f.Ipv6 ? 0x4000 : fragment)), Is.True, $"{whose} {k.Hex}");
        foreach (VrrpFrame m in mine)
        {
            Assert.That((m.EtherDestination, m.Destination, m.Tos, m.Fragment, m.Ttl, m.Version, m.Type, m.Vrid, m.Count, m.IntervalCentis, m.Addresses),
                        Is.EqualTo((k.EtherDestination, k.Destination, k.Tos, fragment, k.Ttl, k.Version, k.Type, k.Vrid, k.Count, k.IntervalCentis, k.Addresses)),
                        $"ours {m.Hex}\n{whose} {k.Hex}\n{context}");
            Assert.That(m.PseudoChecksumGood, Is.True, "pseudo-header checksum: " + m.Hex);
        }
        Assert.That(other.All(f => f.PseudoChecksumGood), Is.True);
        Assert.That(mine.Select(f => f.Priority).Distinct(), Is.SubsetOf(new[] { 0, 100, 200 }));
    }

    /// <summary>Node i's link-local address on eth0, once it has passed duplicate address detection.</summary>
    private protected static string LinkLocal(TestLan lan, int i)
    {
        string line = "";
        Assert.That(Wait.Until(() => (line = lan.Ip("-n", lan.Node(i), "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")).Contains("fe80", StringComparison.Ordinal)
                                     && !line.Contains("tentative", StringComparison.Ordinal), Long), Is.True, line);
        string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words[Array.IndexOf(words, "inet6") + 1].Split('/')[0];
    }

    /// <summary>The count in ucarp_rejected_total for a reason, or for all of them (0 when absent).</summary>
    protected static long Rejected(string metrics, string? reason = null) =>
        Metric(metrics, "ucarp_rejected_total", reason is null ? null : $"reason=\"{reason}\"");

    /// <summary>A metric in a metrics file, summed over its series (those with <paramref name="label"/>); 0 when absent.</summary>
    protected static long Metric(string metrics, string name, string? label = null) =>
        !File.Exists(metrics) ? 0 :
        File.ReadAllLines(metrics).Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && (label is null || l.Contains(label, StringComparison.Ordinal)))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).Sum();

    /// <summary>The VRRP adverts from one source address, in capture order.</summary>
    private protected static List<VrrpFrame> Adverts(List<Frame> frames, string source) =>
        [.. frames.Select(VrrpFrame.From).OfType<VrrpFrame>().Where(f => f.Source == source)];

    /// <summary>Now on the clock pcap's timestamps are on, in µs.</summary>
    protected static long UnixMicros() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <summary>
    /// From the old master's (last) priority-0 advert to the new master's first advert after
    /// it, in ms; waits for that advert (a master may run its upscript before it sends).
    /// </summary>
    private protected static double HandoverMs(Capture capture, string from, string to) =>
        Gap(capture, from, to, f => f.Priority == 0, "priority-0 advert");

    /// <summary>From the dead master's last advert (not priority 0: a crash) to the new master's first advert after it, in ms.</summary>
    private protected static double FailoverMs(Capture capture, string from, string to)
    {
        double ms = Gap(capture, from, to, _ => true, "advert");
        Assert.That(Adverts(capture.Current(), from)[^1].Priority, Is.Not.Zero, "a crash sends no priority 0");
        return ms;
    }

    private protected static double Gap(Capture capture, string from, string to, Func<VrrpFrame, bool> which, string what)
    {
        VrrpFrame? last = Adverts(capture.Current(), from).LastOrDefault(which);
        Assert.That(last, Is.Not.Null, $"no {what} from {from}");
        VrrpFrame? next = null;
        Assert.That(Wait.Until(() => (next = Adverts(capture.Current(), to).FirstOrDefault(f => f.Micros > last!.Micros)) is not null, Short), Is.True,
                    $"no advert from {to} after {from}'s {what}");
        return (next!.Micros - last!.Micros) / 1000.0;
    }
}

/// <summary>A VRRP advert (v2 or v3, IPv4 or IPv6) seen on the bridge, its fields read independently of the daemon's codec.</summary>
sealed record VrrpFrame(long Micros, byte[] Bytes, int At)
{
    public static VrrpFrame? From(Frame f)
    {
        byte[] b = f.Bytes;
        if (b.Length >= 14 + 20 + 8 && b[12] == 0x08 && b[13] == 0x00 && b[14] >> 4 == 4 && b[23] == 112)
        {
            return new VrrpFrame(f.Micros, b, 14 + (b[14] & 0x0f) * 4);
        }
        if (b.Length >= 54 + 8 && b[12] == 0x86 && b[13] == 0xdd && b[20] == 112)
        {
            return new VrrpFrame(f.Micros, b, 54);
        }
        return null;
    }

    public bool Ipv6 => At == 54;
    public string Source => Ipv6 ? new IPAddress(Bytes.AsSpan(22, 16)).ToString() : new IPAddress(Bytes.AsSpan(26, 4)).ToString();
    public string Destination => Ipv6 ? new IPAddress(Bytes.AsSpan(38, 16)).ToString() : new IPAddress(Bytes.AsSpan(30, 4)).ToString();
    public string EtherDestination => Convert.ToHexString(Bytes, 0, 6);
    public int Ttl => Ipv6 ? Bytes[21] : Bytes[22];
    public int Tos => Ipv6 ? -1 : Bytes[15];
    /// <summary>The IPv4 flags and fragment offset (0x4000 is DF).</summary>
    public int Fragment => Ipv6 ? -1 : BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(20));
    public int Version => Bytes[At] >> 4;
    public int Type => Bytes[At] & 0x0f;
    public int Vrid => Bytes[At + 1];
    public int Priority => Bytes[At + 2];
    public int Count => Bytes[At + 3];
    public int AuthType => Version == 2 ? Bytes[At + 4] : -1;
    /// <summary>v3: the 12-bit field in centiseconds; v2: the seconds byte, in centiseconds.</summary>
    public int IntervalCentis => Version == 3 ? BinaryPrimitives.ReadUInt16BigEndian(Bytes.AsSpan(At + 4)) & 0x0fff : Bytes[At + 5] * 100;
    int AddressSize => Ipv6 ? 16 : 4;
    /// <summary>The VRRP message: header, addresses and (v2) the 8 bytes of authentication data.</summary>
    int Length => 8 + Count * AddressSize + (Version == 2 ? 8 : 0);
    public string Addresses => string.Join(",", Enumerable.Range(0, Count).Select(i => new IPAddress(Bytes.AsSpan(At + 8 + i * AddressSize, AddressSize)).ToString()));
    public string AuthData => Version == 2 ? Convert.ToHexString(Bytes, At + 8 + Count * AddressSize, 8) : "";
    public string Hex => Convert.ToHexString(Bytes);

    /// <summary>The checksum over the VRRP message alone is right (VRRPv2's; v3 with the "rfc" form).</summary>
    public bool MessageChecksumGood => Bytes.Length >= At + Length && Fold(Sum(Bytes.AsSpan(At, Length), 0)) == 0xffff;

    /// <summary>The checksum over an IP pseudo-header (source, destination, protocol 112, length) and the message is right.</summary>
    public bool PseudoChecksumGood
    {
        get
        {
            if (Bytes.Length < At + Length)
            {
                return false;
            }
            Span<byte> pseudo = stackalloc byte[40];
            int n;
            if (Ipv6)
            {
                Bytes.AsSpan(22, 32).CopyTo(pseudo);
                pseudo[32..40].Clear();
                BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)Length);
                pseudo[39] = 112;
                n = 40;
            }
            else
            {
                Bytes.AsSpan(26, 8).CopyTo(pseudo);
                pseudo[8] = 0;
                pseudo[9] = 112;
                BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)Length);
                n = 12;
            }
            return Fold(Sum(Bytes.AsSpan(At, Length), Sum(pseudo[..n], 0))) == 0xffff;
        }
    }

    static long Sum(ReadOnlySpan<byte> data, long sum)
    {
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (data[i] << 8) | data[i + 1];
        }
        if (data.Length % 2 == 1)
        {
            sum += data[^1] << 8;
        }
        return sum;
    }

    static int Fold(long sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int)sum;
    }
}
