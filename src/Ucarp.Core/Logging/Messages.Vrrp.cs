namespace Ucarp.Core.Logging;

// Ucarp.Net's own: a VRRP group's options (--vrrp) and what its command line may not hold.
public static partial class Messages
{
    public static string VrrpBadVersion(string arg) => F("--vrrp must be 2 or 3, the VRRP version: [{0}]", arg);
    public static string VrrpBadAdvertInt(string arg) =>
        F("--advert-int must be a number of seconds from 0.01 to 255, with at most 2 decimals: [{0}]", arg);
    public static string VrrpBadPreemptDelay(string arg) => F("--preempt-delay must be a number of seconds from 0 to 1000: [{0}]", arg);
    public static string VrrpBadChecksum(string arg) => F("--vrrp-checksum must be pseudo or rfc: [{0}]", arg);
    public static string VrrpOptionWithoutVrrp(string option) => F("{0} needs --vrrp=2 or --vrrp=3: it is an option of VRRP groups", option);

    // The options VRRP replaces or has no use for.
    public const string VrrpRefusesAdvbase = "-b/--advbase does not apply to a VRRP group: give --advert-int";
    public const string VrrpRefusesAdvskew = "-k/--advskew does not apply to a VRRP group: give --priority (1-255, the highest is master)";
    public const string VrrpRefusesDeadRatio =
        "-r/--deadratio does not apply to a VRRP group: its master is down after 3 advert intervals plus the skew time";
    public const string VrrpRefusesPreempt = "-P/--preempt does not apply to a VRRP group: a VRRP group preempts unless --no-preempt";
    public const string VrrpRefusesNoMulticast =
        "-M/--nomcast does not apply to a VRRP group: VRRP adverts go to the multicast group or to --peer";
    public const string VrrpRefusesNoBowOut =
        "--no-bowout does not apply to a VRRP group: a VRRP master that stops on purpose sends priority 0, as the protocol says";
    public static string VrrpRefusesEtcd(string option) => F("{0} does not apply to a VRRP group: VRRP adverts decide who is master", option);

    // A VRRP group's values that do not go together.
    public const string VrrpV3Password = "VRRP version 3 has no authentication (RFC 5798): drop -p/-o";
    public static string VrrpV2PasswordTooLong(int most) =>
        F("Password too long: VRRP version 2 takes at most {0} bytes (RFC 3768's simple text password)", most);
    public static string VrrpAdvertIntV3(string seconds) => F("--advert-int [{0}] is out of range for VRRP version 3: 0.01 to 40.95 seconds", seconds);
    public static string VrrpAdvertIntV2(string seconds) =>
        F("--advert-int [{0}] is out of range for VRRP version 2: a whole number of seconds from 1 to 255", seconds);
    public const string VrrpPreemptDelayWithNoPreempt =
        "--preempt-delay cannot be used with --no-preempt: a group that never preempts has nothing to delay";
    public const string VrrpOwnerNoPreempt = "--no-preempt cannot be used with --priority=255: the address owner always preempts (RFC 5798)";
    public const string VrrpOwnerCheckWeight =
        "--check-weight cannot be used with --priority=255: the address owner's priority stays 255 (RFC 5798)";
    public const string VrrpCheckWeightWithoutCheck = "--check-weight needs --check: the weight is taken from the priority while the check fails";
    public const string VrrpChecksumNotV3IPv4 =
        "--vrrp-checksum applies to VRRP version 3 over IPv4 only: version 2 and IPv6 have one checksum each";
    public static string VrrpV2IPv6(string address) => F("VRRP version 2 is IPv4 only (RFC 3768): -a [{0}] needs --vrrp=3", address);
    public static string VrrpSourceNotLinkLocal(string source) =>
        F("-s [{0}] is not a link-local address (fe80::/10): VRRP over IPv6 is sent from the interface's link-local address (RFC 5798), unless to a --peer", source);
    public static string VrrpTooManyAddresses(int count, int most, string why) =>
        F("a VRRP group holds at most {1} addresses {2}: {0} are given (-a and --extra-addr)", count, most, why);
    public const string VrrpAddressesV4 = "over IPv4 (its count field is one byte)";
    public const string VrrpAddressesV6 = "over IPv6 (an advert fits a 1500-byte Ethernet frame)";
}
