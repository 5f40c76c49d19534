using Ucarp.Core.Cli;
using Ucarp.Core.Follow;
using Ucarp.Core.Logging;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Carp;

/// <summary>
/// What follows a role change, whatever decided it: the up and down scripts with
/// ucarp's arguments (and the extra addresses in UCARP_EXTRA_ADDRESSES), the addresses
/// the daemon manages itself, and the announcement of every address of the group (a
/// gratuitous ARP, or for IPv6 an unsolicited Neighbour Advertisement, each), handed to
/// the group's <see cref="RoleFollower"/>. One per election, made by its base.
/// </summary>
public sealed class RoleEffects
{
    readonly CarpSettings _settings;
    readonly RoleFollower _follower;
    readonly ILog _log;
    // CarpSettings.Addresses makes a new list at each read: taken once, as a master
    // announces again on every --garp-refresh and every advert of a less preferred master.
    readonly IReadOnlyList<IpAddress> _addresses;
    readonly byte[][] _announcements;

    public RoleEffects(CarpSettings settings, RoleFollower follower, ILog log)
    {
        _settings = settings;
        _follower = follower;
        _log = log;
        _addresses = settings.Addresses;
        int frameSize = settings.VirtualAddress.IsV6 ? NeighbourAdvert.FrameSize : GratuitousArp.FrameSize;
        _announcements = new byte[_addresses.Count][];
        for (int i = 0; i < _announcements.Length; i++)
        {
            _announcements[i] = new byte[frameSize];
        }
        Up = Script(ScriptKind.Up, settings.UpScript);
        Down = Script(ScriptKind.Down, settings.DownScript);
    }

    /// <summary>The scripts' environment variable with the extra addresses, space-separated.</summary>
    public const string ExtraAddressesVariable = "UCARP_EXTRA_ADDRESSES";

    public ScriptInvocation? Up { get; }
    public ScriptInvocation? Down { get; }

    public void RunUp() => Run(Up);

    public void RunDown() => Run(Down);

    /// <summary>
    /// Tells the LAN the group's addresses have moved: a gratuitous ARP, or for IPv6 an
    /// unsolicited NA, for -a and then each extra address. The one call for "announce the group".
    /// </summary>
    public void Announce(bool refresh = false)
    {
        IReadOnlyList<IpAddress> addresses = _addresses;
        for (int i = 0; i < addresses.Count; i++)
        {
            if (addresses[i].IsV6)
            {
                NeighbourAdvert.Build(_settings.Mac, addresses[i], _announcements[i]);
            }
            else
            {
                GratuitousArp.Build(_settings.Mac, addresses[i], _announcements[i]);
            }
            if (refresh)
            {
                _follower.Refresh(_announcements[i]);
            }
            else
            {
                _follower.Announce(_announcements[i]);
            }
        }
    }

    /// <summary>
    /// A role change, as ucarp's set_state says and does it: the line, then the downscript
    /// (not on leaving INIT under -n), or the upscript and the announcement.
    /// </summary>
    public void Enter(CarpState from, CarpState to)
    {
        switch (to)
        {
            case CarpState.Init:
                _log.Write(LogLevel.Info, Messages.SwitchingToInit);
                break;
            case CarpState.Backup:
                _log.Write(LogLevel.Warning, Messages.SwitchingToBackup);
                if (from != CarpState.Init || !_settings.Neutral)
                {
                    RunDown();
                }
                break;
            case CarpState.Master:
                _log.Write(LogLevel.Warning, Messages.SwitchingToMaster);
                RunUp();
                Announce();
                break;
        }
    }

    /// <summary>SIGUSR1's one line.</summary>
    public void ReportStatus(CarpState state, bool eligible, SkewInUse skew) =>
        _log.Write(LogLevel.Info, StatusLine(state, eligible, skew, _settings.Interface, _settings.Vhid));

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
            _follower.RunScript(script);
        }
    }

    ScriptInvocation? Script(ScriptKind kind, string? path)
    {
        // spawn.c does nothing for a missing or empty script name.
        bool script = !string.IsNullOrEmpty(path);
        if (!script && !_settings.ManageAddresses)
        {
            return null;
        }
        var argv = new List<string>();
        if (script)
        {
            argv.AddRange([path!, _settings.ScriptInterface ?? _settings.Interface, _settings.VirtualAddressText ?? _settings.VirtualAddress.ToString()]);
            if (_settings.XParam is not null)
            {
                argv.Add(_settings.XParam);
            }
        }
        return new ScriptInvocation(kind, script ? path : null, argv)
        {
            // ucarp's argv stays as it is; the extras go in the environment, only when given.
            Environment = _settings.ExtraAddresses.Count == 0 ? []
                : [ExtraAddressesVariable + "=" + string.Join(' ', _settings.ExtraAddresses)],
            Addresses = _settings.ManageAddresses ? _addresses : [],
        };
    }
}
