using System.Buffers.Binary;
using System.Diagnostics;
using Ucarp.Core.Cli;
using Ucarp.Core.Wire;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A flood of forged adverts: the right vhid, valid checksums and "preferred" timing
/// (advbase 1, advskew 0) but a wrong HMAC, sent by tcpreplay as fast as it can from a
/// host on the LAN, bounded in count and in time.
/// </summary>
sealed class ForgedFlood : IDisposable
{
    readonly Process _tcpreplay;

    /// <param name="perSecond">0: as fast as tcpreplay can; else that many frames a second.</param>
    /// <param name="frames">Replayed in turn, <paramref name="maxFrames"/> times over; by default one forged advert of vhid 42.</param>
    public ForgedFlood(TestLan lan, int node, int maxFrames, int maxSeconds, int perSecond = 0, byte[][]? frames = null)
    {
        string pcap = Path.Combine(lan.Directory, "forged.pcap");
        WritePcap(pcap, frames ?? [Forged(TestLan.Address(node))]);
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "netns", "exec", lan.Node(node), "tcpreplay", "-q", "-K", perSecond == 0 ? "--topspeed" : $"--pps={perSecond}", "-i", "eth0",
                                     $"--loop={maxFrames}", $"--duration={maxSeconds}", pcap })
        {
            info.ArgumentList.Add(a);
        }
        Started = Stopwatch.StartNew();
        _tcpreplay = Process.Start(info)!;
    }

    public Stopwatch Started { get; }

    /// <summary>Waits for tcpreplay to finish and returns what it printed (its rate among it).</summary>
    public string Finish()
    {
        string output = _tcpreplay.StandardOutput.ReadToEnd() + _tcpreplay.StandardError.ReadToEnd();
        _tcpreplay.WaitForExit();
        return output;
    }

    /// <summary>An advert for <paramref name="vhid"/> valid in every way but its digest (password "forged").</summary>
    public static byte[] Forged(string source, byte vhid = 42)
    {
        Inet.TryParse(source, out IpAddress src);
        Inet.TryParse(TestLan.Vip, out IpAddress vip);
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(src, Configuration.DefaultMulticast, false, vhid, 1, 0, 1234, 0x0123456789abcdef),
                          new CarpHmac("forged"u8, vhid, vip), frame);
        return frame;
    }

    static void WritePcap(string path, byte[][] frames)
    {
        using var file = new MemoryStream();
        byte[] header = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), 1); // Ethernet
        file.Write(header);
        foreach (byte[] frame in frames)
        {
            byte[] record = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }
        File.WriteAllBytes(path, file.ToArray());
    }

    public void Dispose()
    {
        if (!_tcpreplay.HasExited)
        {
            _tcpreplay.Kill();
        }
        _tcpreplay.Dispose();
    }
}

/// <summary>CPU time a process has used, from /proc/PID/stat (utime + stime, in clock ticks of 10 ms).</summary>
static class CpuTime
{
    public static double Seconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture)
              + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    public static long ResidentKiB(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
                       .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
