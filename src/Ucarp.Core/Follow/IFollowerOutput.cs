namespace Ucarp.Core.Follow;

/// <summary>
/// Where a <see cref="RoleFollower"/>'s effects go: the daemon starts processes and writes
/// to sockets and etcd; a simulator delivers on a virtual LAN and a virtual clock.
/// </summary>
public interface IFollowerOutput
{
    /// <summary>
    /// Starts the script (its Path is set). False: it is already over (it could not be
    /// started), and what waits for it goes at once. When true, the host calls
    /// <see cref="RoleFollower.ScriptEnded"/> once the process has exited.
    /// </summary>
    bool StartScript(ScriptInvocation script);

    /// <summary>
    /// --manage-addresses: adds (Up) or removes (Down) the step's addresses on the
    /// interface. False: done already. True: the change goes on elsewhere, and the host
    /// calls <see cref="RoleFollower.AddressesChanged"/> once it is done; the step waits.
    /// </summary>
    bool ChangeAddresses(ScriptInvocation step) => false;

    /// <summary>A gratuitous ARP or unsolicited Neighbour Advertisement, on the wire now.</summary>
    void SendAnnouncement(ReadOnlySpan<byte> frame);

    /// <summary>What waited for the scripts, now: the bow-out advert, or an etcd request.</summary>
    void SendAfterScripts(in Deferred effect);
}
