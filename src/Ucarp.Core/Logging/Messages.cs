using System.Globalization;

namespace Ucarp.Core.Logging;

/// <summary>
/// Every line ucarp 1.5.2 logs, word for word, in one place. Users grep for these and
/// monitoring matches on them, so the text is part of the interface.
/// </summary>
public static partial class Messages
{
    static string F(string format, params object?[] args) => string.Format(CultureInfo.InvariantCulture, format, args);

    // Command line (ucarp.c)
    public static string InvalidAddress(string arg) => F("Invalid address: [{0}]", arg);
    public const string VhidRange = "vhid must be between 1 and 255.";
    public static string PassfileOpen(string path, string error) => F("unable to open passfile {0} for reading: {1}", path, error);
    public static string PassfileRead(string path, string error) => F("error reading passfile {0}: {1}", path, error);
    public const string UnexpectedEndOfFile = "unexpected end of file";
    // Ucarp.Net's own.
    public static string PassfileReadable(string path) => F("Password file [{0}] can be read by other users: make it mode 600", path);
    public static string KeyFileReadable(string path) => F("Key file [{0}] can be read by other users: make it mode 600", path);
    public const string EtcdPasswordInClear = "The etcd password goes to etcd in clear text over http://: use https:// endpoints";
    public static string UnknownFacility(string name) => F("Unknown syslog facility: [{0}]", name);
    public const string NoInterface = "You must supply a network interface";
    public static string UsingInterface(string name) => F("Using [{0}] as a network interface", name);
    public const string NoVhid = "You must supply a valid virtual host id";
    public const string NoPassword = "You must supply a password";
    public const string NoAdvbase = "You must supply an advertisement time base";
    public const string NoSourceAddress = "You must supply a persistent source address";
    public const string NoVirtualAddress = "You must supply a virtual host address";
    public const string NoUpscript = "Warning: no script called when going up";
    public const string NoDownscript = "Warning: no script called when going down";
    /// <summary>--config: the groups without an upscript are those without a downscript.</summary>
    public const string NoScripts = "Warning: no script called when going up or down";
    public const string DeadRatioZero = "Dead ratio can't be zero";

    // Ucarp.Net's own: the handover and health check options.
    public const string CheckCommandEmpty = "--check needs a command";
    public static string BadSeconds(string option, string arg) => F("{0} must be a number of seconds from 0.01 to 86400: [{1}]", option, arg);
    public static string BadCount(string option, string arg, int max) => F("{0} must be a whole number from 1 to {1}: [{2}]", option, max, arg);
    public const string CheckOptionsWithoutCheck = "--check-interval, --check-timeout, --check-fall and --check-rise need --check";
    public const string CheckWeightWithoutCheck = "--check-weight needs --check: the weight is added to advskew while the check fails";

    // Ucarp.Net's own: unicast peers.
    public static string PeerNotAnAddress(string arg) => F("--peer needs an IPv4 or IPv6 address: [{0}]", arg);
    public static string PeerNotUnicast(string arg) => F("--peer [{0}] is not a unicast address", arg);
    public static string PeerIsUs(string peer) => F("--peer [{0}] is this host's own address (-s)", peer);
    public const string PeerWithMulticast = "--peer cannot be used with -M/--nomcast or -m/--mcast: peers are sent to by unicast";
    public static string NotFromPeer(string source) => F("Ignoring advert from [{0}]: not a --peer", source);
    public static string NotToUs(string destination) => F("Ignoring advert to [{0}]: not our address", destination);
    public static string OpenPeerSocket(string error) => F("Unable to open the socket for --peer adverts: {0}", error);
    public static string PeerSendFailed(string error, string peer) => F("{0} (peer {1})", error, peer);

    // Ucarp.Net's own: IPv6. One daemon runs one family.
    public static string FamilyMismatch(string option, string address, string virtualAddress) =>
        F("{0} [{1}] and -a [{2}] are not of the same address family: one ucarp runs one family (start one per family)", option, address, virtualAddress);

    // Ucarp.Net's own: a group's further addresses (--extra-addr, --manage-addresses).
    public static string ExtraAddrNotAnAddress(string arg) => F("--extra-addr needs an IPv4 or IPv6 address: [{0}]", arg);
    public static string ExtraAddrIsVirtual(string address) => F("--extra-addr [{0}] is the virtual address (-a) itself", address);
    public static string ExtraAddrTwice(string address) => F("--extra-addr [{0}] is given twice", address);
    public static string AddressAddFailed(string address, string iface, string error) => F("Unable to add [{0}] to {1}: {2}", address, iface, error);
    public static string AddressRemoveFailed(string address, string iface, string error) => F("Unable to remove [{0}] from {1}: {2}", address, iface, error);

    // Ucarp.Net's own: the etcd election's options and setup.
    public static string EtcdBadEndpoint(string text) => F("--etcd needs http:// or https:// URLs separated by commas: [{0}]", text);
    public static string EtcdBadPrefix(string text) => F("--etcd-prefix must start with / and name something: [{0}]", text);
    public static string EtcdBadTtl(string text, int most) => F("--etcd-ttl must be a number of seconds from 1 to {1}: [{0}]", text, most);
    public const string EtcdOptionsWithoutEtcd = "--etcd-prefix, --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user, --etcd-password-file and --etcd-ttl need --etcd";
    public const string EtcdWithCarpTransport = "--etcd cannot be used with --peer, -M/--nomcast or -m/--mcast: etcd decides, no adverts are sent";
    public const string EtcdMixedSchemes = "--etcd endpoints must all be http:// or all https://";
    public const string EtcdCertNeedsKey = "--etcd-cert and --etcd-key go together";
    public const string EtcdTlsNeedsHttps = "--etcd-cacert and --etcd-cert need https:// endpoints";
    public const string EtcdUserNeedsPassword = "--etcd-user and --etcd-password-file go together (the password is never given on the command line)";
    public static string EtcdFileUnreadable(string option, string path, string error) => F("Unable to read {0} [{1}]: {2}", option, path, error);
    public static string EtcdCredentialsRefused(string user, string error) => F("etcd refused the credentials of user [{0}]: {1}", user, error);
    public static string EtcdTlsFailed(string endpoint, string error) => F("TLS with etcd at [{0}] failed: {1}", endpoint, error);
    public static string EtcdTlsSetup(string error) => F("Unable to set up TLS for etcd: {0}", error);
    public static string EtcdTlsKept(string error) => F("etcd's TLS files could not be read again ({0}): the clients keep the certificates read before", error);

    // Ucarp.Net's own: the etcd election.
    public static string EtcdLease(long lease, long ttl) => F("etcd: lease {0:x} granted, TTL {1} s", lease, ttl);
    public static string EtcdUnreachable(string error) => F("etcd unreachable ({0}): staying BACKUP and retrying", error);
    public const string EtcdReachable = "etcd reachable again";
    public static string EtcdHeldBy(string holder, int advskew, string host) => F("The address is held by {0} (advskew {1}, host {2})", holder, advskew, host);
    public const string EtcdFree = "The address is free";
    public static string EtcdFence(double seconds) =>
        F("etcd lease not renewed for {0:F1} s: it may expire before we know, giving the address up", seconds);
    public const string EtcdKeyLost = "Our etcd key was deleted or taken over: giving the address up";
    public const string EtcdLeaseLost = "Our etcd lease is gone: giving the address up";
    public static string EtcdPreemptAsked(string candidate, int advskew) => F("{0} (advskew {1}) asks for the address (-P): handing it over", candidate, advskew);
    public static string EtcdPreemptStale(string candidate, int advskew) =>
        F("{0} (advskew {1}) asked for the address (-P) and did not take it: its request is stale, deleted", candidate, advskew);
    public static string EtcdGrantRefused(long lease, long ttl, long asked) =>
        F("etcd granted lease {0:x} with TTL {1} s for {2} s asked: refused (no ID, or a TTL below the asked or more than 10 s above), retrying", lease, ttl, asked);
    public static string EtcdForeignKey(string key, string value, long lease) =>
        F("etcd key {0} holds [{1}] (lease {2:x}), not a holder record on a lease: nobody holds the address; waiting for it to change", key, value, lease);
    public static string EtcdTakingBack(long lease) => F("Our etcd key is still on lease {0:x} of this host's previous run: taking it back", lease);
    public static string EtcdPreempting(string holder, int advskew) => F("Asking {0} (advskew {1}) to hand the address over (-P)", holder, advskew);

    // Ucarp.Net's own: follow mode (--follow-key), its options and what it reads.
    public const string FollowValueWithoutKey = "--follow-value needs --follow-key";
    public const string FollowKeyWithoutEtcd = "--follow-key needs --etcd: the key is read from etcd";
    public static string FollowKeyWith(string option) => F("--follow-key cannot be used with {0}: the key decides who holds, there is no election", option);
    public static string FollowNeedsText(string option) => F("{0} needs a non-empty argument", option);
    public static string FollowKeyHolds(string key, string value) => F("etcd key {0} holds [{1}]", key, value);
    public static string FollowKeyMissing(string key) => F("etcd key {0} does not exist: nobody is leader", key);
    public static string FollowUnreadable(string key, double seconds, bool holding) =>
        F(holding ? "Cannot read etcd key [{0}] for {1:F1} s: releasing the address" : "Cannot read etcd key [{0}] for {1:F1} s: not taking the address until it can be read", key, seconds);
    public static string FollowReadFailed(string key, string error) => F("Reading etcd key [{0}] failed ({1}): retrying", key, error);
    public static string FollowReadable(string key) => F("etcd key [{0}] can be read again", key);

    // Ucarp.Net's own: monitoring files.
    public static string PathNeeded(string option) => F("{0} needs a file name", option);
    public static string PidfileInUse(string path, int pid) => F("Pidfile [{0}] names a running ucarp (pid {1}): not starting", path, pid);
    public static string FileWriteFailed(string path, string error) =>
        F("Unable to write [{0}]: {1} (said once; the daemon carries on and retries)", path, error);
    public static string FileWriteRecovered(string path) => F("[{0}] written again", path);
    public static string LogLinesDropped(long count) =>
        F("{0} log lines dropped: syslog or the console did not keep up (the daemon did not wait for them)", count);

    // Start-up (carp.c:docarp, fillmac.c)
    public const string PasswordTooLong = "Password too long";
    public static string HardwareInfo(string error) => F("Unable to get hardware info about an interface: {0}", error);
    public static string UnknownHardwareType(int type) => F("Unknown hardware type [{0}]", type);
    public const string InterfaceNameTooLong = "Interface name too long";
    public static string NoMacAddress(string iface) => F("Unable to find MAC address of [{0}]", iface);
    public static string LocalMac(ReadOnlySpan<byte> mac) =>
        F("Local advertised ethernet address is [{0:x2}:{1:x2}:{2:x2}:{3:x2}:{4:x2}:{5:x2}]", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    public static string BpfRule(string source) => F("BPF rule: [proto 112 and src host not {0}]", source);
    public static string OpenInterface(string iface, string error) => F("Unable to open interface [{0}]: {1}", iface, error);
    /// <summary>libpcap's pcap_open_live error for PCAP_ERROR_IFACE_NOT_UP.</summary>
    public static string DeviceNotUp(string iface) => F("{0}: That device is not up", iface);
    public static string OpenSocket(string iface, string error) => F("Error opening socket for interface [{0}]: {1}", iface, error);
    public static string AddMembership(string error, int errno) => F("Can't do IP_ADD_MEMBERSHIP errno={0} ({1})", error, errno);
    /// <summary>Ucarp.Net's own, in the words of the IPv4 line.</summary>
    public static string AddMembership6(string error, int errno) => F("Can't do IPV6_ADD_MEMBERSHIP errno={0} ({1})", error, errno);
    public static string RawDevice(string error) => F("Unable to open raw device: [{0}]", error);

    // State machine (carp.c)
    public const string SwitchingToInit = "Switching to state: INIT";
    public const string SwitchingToBackup = "Switching to state: BACKUP";
    public const string SwitchingToMaster = "Switching to state: MASTER";
    public const string PreferredMaster = "Preferred master advertised: going back to BACKUP state";
    public const string NonPreferredMaster = "Non-preferred master advertising: reasserting control of VIP with another gratuitous arp";
    public const string Preemption = "Putting MASTER down - preemption";
    public const string GoingToTimeOut = "Putting MASTER DOWN (going to time out)";
    public static string WriteFailed(string error) => F("write() has failed: {0}", error);
    public static string WriteErrorCount(int suppress, int max) => F("write() error #{0}/{1}", suppress, max);
    public static string GarpWriteFailed(string error) => F("write() in garp: {0}", error);
    public const string AdvertInjected = "* advertisement injected *";
    public const string SendAdvert = "-> carp_send_ad()";
    public const string SetRun = "carp_setrun()";
    public const string MasterDownEvent = "carp_master_down()";

    // Receiving (carp.c:packethandler)
    public static string BogusSize(int caplen, int ipLen, int chLen) => F("Bogus size: caplen=[{0}], ip_len=[{1}] ch_len=[{2}]", caplen, ipLen, chLen);
    public static string BadTtl(int ttl) => F("Bad TTL: [{0}]", ttl);
    public static string BadVersion(int version) => F("Bad version: [{0}]", version);
    public static string IgnoringVhid(int vhid) => F("Ignoring vhid: [{0}]", vhid);
    public static string IgnoringMulticast(string address) => F("Ignoring different multicast ip: [{0}]", address);
    public const string BadChecksum = "Bad IP checksum";
    public static string BadDigest(ReadOnlySpan<byte> computed, ReadOnlySpan<byte> received) =>
        F("Bad digest - md2=[{0:x2}{1:x2}{2:x2}{3:x2}...] md=[{4:x2}{5:x2}{6:x2}{7:x2}...] - Check vhid, password and virtual IP address",
          computed[0], computed[1], computed[2], computed[3], received[0], received[1], received[2], received[3]);
    // Ucarp.Net's own: the summary of rate-limited lines.
    public static string Suppressed(long count, string what) => F("{0} more {1} lines suppressed in the last second", count, what);

    // Signals and the main loop (carp.c:docarp)
    public static string Status(bool backup, string iface, int vhid) => F("{0} on {1} id {2}", backup ? "BACKUP" : "MASTER", iface, vhid);
    // Ucarp.Net's own: said only while out of the election, or with --check-weight, so ucarp's line is unchanged otherwise.
    public static string StatusWeighted(bool backup, string iface, int vhid, string skew) => F("{0} ({1})", Status(backup, iface, vhid), skew);
    public static string StatusOutOfElection(string iface, int vhid) => F("BACKUP on {0} id {1} (out of the election: will not become master)", iface, vhid);
    public const string Usr2 = "Caught signal (USR2) considering going down";
    public static string ExitSignal(string? downscript) => F("sighandler_exit(): Calling [{0}] and exiting", downscript ?? "(null)");
    public static string PollRevents(int revents) => F("exiting: pfds[0].revents = {0}", revents);
    public static string PollError(string error) => F("exiting: poll() error: {0}", error);
    public static string LoopFault(string where, string error) =>
        F("internal error in {0}: {1}: stopping every group, addresses released", where, error);
    public static string LoopFaultAgain(string where, string error) => F("internal error in {0} while stopping: {1}: exiting now", where, error);

    // Ucarp.Net's own: the election (planned handover and health checks).
    public static string LeavingElection(string reason) => F("Out of the election ({0}): this node will not become master", reason);
    public static string JoiningElection(string reason) => F("Joining the election ({0})", reason);
    public const string BowingOut = "Bowing out: advertising advbase 255/advskew 255 so a backup takes over now";
    public static string BowOutWriteFailed(string error) => F("Bow-out advert not sent: write() has failed: {0}", error);
    // Sync sets (--sync): the reasons given to the election, and a demotion's line.
    public static string SyncMemberOut(string set, string member) => F("sync set {0}: {1} is out of the election", set, member);
    public static string SyncAllIn(string set) => F("sync set {0}: every member is in the election", set);
    public const string SyncNoSet = "no longer in a sync set";
    public static string SyncFollow(string set, string member) => F("Sync set {0}: {1} left MASTER here, stepping down with it", set, member);
    public static string SyncJoinLeader(string set, string leader, string holder) =>
        F("Sync set {0}: {1} is held by {2}, stepping down to join it there", set, leader, holder);

    // --manage-addresses: the kernel's addresses kept as the role says, whoever changed them.
    public static string AddressPutBack(string address, string iface) =>
        F("Address {0} was removed from {1} by another program while MASTER: put back and announced again", address, iface);
    public static string AddressTakenAway(string address, string iface) =>
        F("Address {0} was added to {1} by another program while not MASTER: removed", address, iface);
    public const string AddressNotificationsLost = "The kernel dropped address notifications: every managed address is looked at again";
    public static string AddressWatchFailed(string error) =>
        F("Cannot watch the interfaces' addresses ({0}): a managed address another program removes is not put back", error);

    // --config: a group held back (its interface missing or down, or not ready), and its start once it can.
    public static string HeldInterfaceMissing(string iface) => F("interface {0} is missing", iface);
    public static string HeldInterfaceDown(string iface) => F("interface {0} is down", iface);
    public static string HeldNotReady(string error) => F("could not be made ready: {0}", error);
    public const string HeldCannotJoin = "its vhid or multicast group could not be taken (see above)";
    public static string HeldInterfaceReturning(string iface) => F("interface {0} is back; its previous groups are still letting go", iface);
    public static string Held(string reason) => F("Held back until it can start ({0}); the other groups carry on", reason);
    public static string HeldStarting(string iface) => F("Interface {0} is usable: starting", iface);

    // Ucarp.Net's own: health checks (--check).
    public const string NotYetHealthy = "health check has not passed yet";
    // --check-weight: the advskew in use and why (SIGUSR1, the state file).
    public static string SkewInUse(string skew) => F("Using {0}", skew);
    public const string CheckNotPassedYet = "check not passed yet";
    public const string CheckFailing = "check failing";
    public const string CheckPassing = "check passing";
    public static string ChecksFailed(int count) => F("health check failed {0} time{1} in a row", count, count == 1 ? "" : "s");
    public static string ChecksPassed(int count) => F("health check passed {0} time{1} in a row", count, count == 1 ? "" : "s");
    public static string CheckExited(string command, int status) => F("Health check [{0}] failed: exited with status {1}", command, status);
    public static string CheckNotFound(string command, int status) =>
        F("Health check [{0}] failed: /bin/sh could not run it (status {1}: command not found or not executable)", command, status);
    public static string CheckKilled(string command, int signal) => F("Health check [{0}] failed: killed by signal {1}", command, signal);
    public static string CheckTimedOut(string command, string seconds) =>
        F("Health check [{0}] failed: no result after {1} s, its process group was killed", command, seconds);
    public static string CheckUnstartable(string command, string error) => F("Health check [{0}] failed: could not be started: {1}", command, error);

    // Scripts (spawn.c)
    public static string Spawning(string script, string iface, string vip, string? xparam) =>
        F("Spawning [{0} {1} {2}{3}{4}]", script, iface, vip, xparam is null ? "" : " ", xparam ?? "");
    public static string UnableToExec(string script, string iface, string vip, string? xparam, string error) =>
        F("Unable to exec {0} {1} {2}{3}{4}: {5}", script, iface, vip, xparam is null ? "" : " ", xparam ?? "", error);
    public static string UnableToSpawn(string error) => F("Unable to spawn the script: {0}", error);
    // Ucarp.Net's own: ucarp never looks at how its scripts end.
    public static string ScriptFailed(string described, int status) => F("Script [{0}] exited with status {1}", described, status);
    public static string ScriptKilled(string described, int signal) => F("Script [{0}] was killed by signal {1}", described, signal);

    // Ucarp.Net's own: --realtime.
    public static string RealtimeFailed(int priority, string error) => F("Unable to switch to real-time priority {0}: {1}", priority, error);
    public static string MemoryLockFailed(string error) => F("Unable to lock the daemon's memory: {0}", error);
    public static string Realtime(int priority) => F("Event loop at real-time priority {0} (SCHED_RR), memory locked", priority);

    // Daemon mode (daemonize.c)
    public static string Background(string error) => F("Unable to get in background: [fork: {0}]", error);
    public static string Detach(string error) => F("Unable to detach from the current session: {0}", error);
    public const string DetachDevNull = "Unable to detach: /dev/null can't be duplicated";
}
