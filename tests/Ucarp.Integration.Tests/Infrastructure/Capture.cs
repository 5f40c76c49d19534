using System.Buffers.Binary;
using System.Diagnostics;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>One frame seen on the bridge, with tcpdump's timestamp in microseconds.</summary>
sealed record Frame(long Micros, byte[] Bytes)
{
    public bool IsArp => Bytes.Length >= 42 && Bytes[12] == 0x08 && Bytes[13] == 0x06;
    public bool IsCarp => Bytes.Length >= 70 && Bytes[12] == 0x08 && Bytes[13] == 0x00 && Bytes[23] == 112;
    public string IpSource => IsCarp ? $"{Bytes[26]}.{Bytes[27]}.{Bytes[28]}.{Bytes[29]}" : "";
    public string ArpSender => IsArp ? $"{Bytes[28]}.{Bytes[29]}.{Bytes[30]}.{Bytes[31]}" : "";
    public string EtherSource => Convert.ToHexString(Bytes, 6, 6);
    public int AdvSkew => IsCarp ? Bytes[36] : IsCarp6 ? Bytes[56] : -1;
    public int AdvBase => IsCarp ? Bytes[39] : IsCarp6 ? Bytes[59] : -1;

    // IPv6: the advert (next header 112 straight after the header) and the Neighbour Advertisement.
    public bool IsIpv6 => Bytes.Length >= 54 && Bytes[12] == 0x86 && Bytes[13] == 0xdd;
    public bool IsCarp6 => IsIpv6 && Bytes.Length >= 90 && Bytes[20] == 112;
    public bool IsNeighbourAdvert => IsIpv6 && Bytes.Length >= 78 && Bytes[20] == 58 && Bytes[54] == 136;
    public string Ip6Source => IsIpv6 ? new System.Net.IPAddress(Bytes.AsSpan(22, 16)).ToString() : "";
    public string Ip6Destination => IsIpv6 ? new System.Net.IPAddress(Bytes.AsSpan(38, 16)).ToString() : "";
    public string NaTarget => IsNeighbourAdvert ? new System.Net.IPAddress(Bytes.AsSpan(62, 16)).ToString() : "";
    public int NaFlags => IsNeighbourAdvert ? Bytes[58] : -1;
}

/// <summary>tcpdump on the bridge, bounded in packets; stopped and read back as frames.</summary>
sealed class Capture : IDisposable
{
    readonly Process _tcpdump;
    readonly string _file;

    public Capture(string ns, string iface, string file, string filter)
    {
        _file = file;
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "netns", "exec", ns, "tcpdump", "-i", iface, "-U", "--immediate-mode", "-s", "256", "-c", "200000", "-w", file, filter })
        {
            info.ArgumentList.Add(a);
        }
        _tcpdump = Process.Start(info)!;
        // tcpdump says "listening on" once it captures.
        string? line = _tcpdump.StandardError.ReadLine();
        if (line is null || !line.Contains("listening", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("tcpdump did not start: " + line);
        }
        _ = _tcpdump.StandardError.ReadToEndAsync();
    }

    /// <summary>
    /// What has been captured so far: --immediate-mode hands each packet to tcpdump as it
    /// comes and -U writes it at once. Without the first, packets wait in the kernel's ring
    /// for up to a second, and a capture stopped soon after an event loses them.
    /// </summary>
    public List<Frame> Current() => Read(_file);

    /// <summary>The pcap file, for other readers (tshark).</summary>
    public string FilePath => _file;

    public List<Frame> Stop()
    {
        if (!_tcpdump.HasExited)
        {
            Shell.RunAllowingFailure("kill", ["-INT", _tcpdump.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], out _);
            _tcpdump.WaitForExit(5000);
        }
        return Read(_file);
    }

    public static List<Frame> Read(string path)
    {
        var frames = new List<Frame>();
        if (!File.Exists(path))
        {
            return frames;
        }
        byte[] data = File.ReadAllBytes(path);
        int at = 24;
        while (at + 16 <= data.Length)
        {
            long seconds = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
            long micros = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4));
            int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 8));
            if (at + 16 + length > data.Length)
            {
                break;
            }
            frames.Add(new Frame(seconds * 1_000_000 + micros, data.AsSpan(at + 16, length).ToArray()));
            at += 16 + length;
        }
        return frames;
    }

    public void Dispose()
    {
        if (!_tcpdump.HasExited)
        {
            _tcpdump.Kill();
            _tcpdump.WaitForExit(5000);
        }
        _tcpdump.Dispose();
    }
}
