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
    public ForgedFlood(TestLan lan, int node, int maxFrames, int maxSeconds, int perSecond = 0)
    {
        string pcap = Path.Combine(lan.Directory, "forged.pcap");
        WritePcap(pcap, Forged(TestLan.Address(node)));
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

    public static byte[] Forged(string source)
    {
        Inet.TryParse(source, out IpAddress src);
        Inet.TryParse(TestLan.Vip, out IpAddress vip);
        byte[] frame = new byte[CarpHeader.AdvertFrameSize];
        AdvertFrame.Build(new AdvertFields(src, Configuration.DefaultMulticast, false, 42, 1, 0, 1234, 0x0123456789abcdef),
                          new CarpHmac("forged"u8, 42, vip), frame);
        return frame;
    }

    static void WritePcap(string path, byte[] frame)
    {
        byte[] file = new byte[24 + 16 + frame.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(file, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(20), 1); // Ethernet
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(32), (uint)frame.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(36), (uint)frame.Length);
        frame.CopyTo(file, 40);
        File.WriteAllBytes(path, file);
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
