using System.Globalization;
using System.Text.Json;
using Ucarp.Integration.Tests.Infrastructure;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The files the daemon writes as root may live in a directory others can write
/// (node_exporter's textfile directory): symlinks planted at the temporary names it could
/// use must not redirect its writes.
/// </summary>
public class FileSafetyTests : NamespaceTest
{
    /// <summary>
    /// In a world-writable directory, symlinks to a root-owned file wait at every name an
    /// attacker can guess: PATH.tmp.PID for the next 200 pids (ucarp-net up to 3645dd8 named its temporary
    /// file exactly so), PATH.tmp and PATH.tmp.0000000000000000. The daemon writes its
    /// pid, state and metrics files as usual; the target is never touched.
    /// </summary>
    [Serial]
    [Test]
    public void Symlinks_at_guessable_temporary_names_do_not_redirect_the_writes()
    {
        using var lan = new TestLan(1);
        string shared = Path.Combine(lan.Directory, "textfile");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        string victim = Path.Combine(lan.Directory, "victim");
        File.WriteAllText(victim, "precious\n");
        string state = Path.Combine(shared, "s.json"), metrics = Path.Combine(shared, "m.prom"), pidfile = Path.Combine(shared, "u.pid");
        int last = int.Parse(File.ReadAllText("/proc/sys/kernel/ns_last_pid").Trim(), CultureInfo.InvariantCulture);
        var planted = new List<string>();
        foreach (string file in new[] { state, metrics, pidfile })
        {
            planted.Add(file + ".tmp");
            planted.Add(file + ".tmp.0000000000000000");
            planted.AddRange(Enumerable.Range(last + 1, 200).Select(pid => file + ".tmp." + pid.ToString(CultureInfo.InvariantCulture)));
        }
        planted.ForEach(link => File.CreateSymbolicLink(link, victim));

        using UcarpProcess a = lan.Start(1, Binary("clone"), "-k", "0", "-z", "--state-file", state, "--metrics-file", metrics, "--pidfile", pidfile);
        Assert.That(a.Pid, Is.InRange(last + 1, last + 200), "the daemon's pid is among the planted names");
        Assert.That(Wait.Until(() => StateOf(state) == "MASTER", Long), Is.True, a.Output);
        // A counter refresh or two after the change of role.
        Assert.That(Wait.Until(() => Adverts(metrics) >= 3, Long), Is.True, a.Output);

        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious\n"), "the symlinks' target is unchanged");
        Assert.That(File.ReadAllText(pidfile), Is.EqualTo(a.Pid.ToString(CultureInfo.InvariantCulture) + "\n"));
        Assert.That(planted.All(l => new FileInfo(l).LinkTarget == victim), Is.True, "the planted links are left alone");
        string[] strays = Directory.GetFiles(shared).Except(planted).Except([state, metrics, pidfile]).ToArray();
        Assert.That(strays, Is.Empty, "no temporary file is left behind");

        a.Signal("TERM");
        Assert.That(a.WaitForExit(Short), Is.True, a.Output);
        Assert.That(StateOf(state), Is.EqualTo("STOPPED"));
        Assert.That(File.ReadAllText(victim), Is.EqualTo("precious\n"));
    }

    static string? StateOf(string path)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.GetProperty("state").GetString();
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    static long Adverts(string metrics)
    {
        try
        {
            string? line = File.ReadAllLines(metrics).FirstOrDefault(l => l.StartsWith("ucarp_adverts_sent_total", StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
