using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Carp;

/// <summary>
/// What follows a role change, whatever decided it: the up and down scripts with
/// ucarp's arguments, and the announcement of the address (a gratuitous ARP, or for
/// IPv6 an unsolicited Neighbour Advertisement). Shared by the CARP and etcd elections.
/// </summary>
public sealed class RoleEffects
{
    readonly CarpSettings _settings;
    readonly ICarpHost _host;
    readonly byte[] _announcement;

    public RoleEffects(CarpSettings settings, ICarpHost host)
    {
        _settings = settings;
        _host = host;
        _announcement = new byte[settings.VirtualAddress.IsV6 ? NeighbourAdvert.FrameSize : GratuitousArp.FrameSize];
        Up = Script(ScriptKind.Up, settings.UpScript);
        Down = Script(ScriptKind.Down, settings.DownScript);
    }

    public ScriptInvocation? Up { get; }
    public ScriptInvocation? Down { get; }

    public void RunUp() => Run(Up);

    public void RunDown() => Run(Down);

    /// <summary>Tells the LAN the address has moved: a gratuitous ARP, or for IPv6 an unsolicited NA.</summary>
    public void Announce()
    {
        if (_settings.VirtualAddress.IsV6)
        {
            NeighbourAdvert.Build(_settings.Mac, _settings.VirtualAddress, _announcement);
        }
        else
        {
            GratuitousArp.Build(_settings.Mac, _settings.VirtualAddress, _announcement);
        }
        _host.SendAnnouncement(_announcement);
    }

    /// <summary>SIGUSR1's one line.</summary>
    public void ReportStatus(CarpState state, bool eligible, SkewInUse skew) =>
        _host.Write(LogLevel.Info, StatusLine(state, eligible, skew, _settings.Interface, _settings.Vhid));

    /// <summary>
    /// "MASTER on eth0 id 10" or BACKUP, as ucarp says it; out of the election, or with
    /// --check-weight the advskew in use and why ("BACKUP on eth0 id 10 (advskew 10+50:
    /// check failing)"). SIGUSR1's line and systemd's STATUS.
    /// </summary>
    public static string StatusLine(CarpState state, bool eligible, SkewInUse skew, string iface, int vhid) =>
        !eligible ? Messages.StatusOutOfElection(iface, vhid)
        : skew.Describe() is string weighted ? Messages.StatusWeighted(state == CarpState.Backup, iface, vhid, weighted)
        : Messages.Status(state == CarpState.Backup, iface, vhid);

    void Run(ScriptInvocation? script)
    {
        if (script is not null)
        {
            _host.RunScript(script);
        }
    }

    ScriptInvocation? Script(ScriptKind kind, string? path)
    {
        // spawn.c does nothing for a missing or empty script name.
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        var argv = new List<string> { path, _settings.Interface, _settings.VirtualAddressText ?? _settings.VirtualAddress.ToString() };
        if (_settings.XParam is not null)
        {
            argv.Add(_settings.XParam);
        }
        return new ScriptInvocation(kind, path, argv);
    }
}
