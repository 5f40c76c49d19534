using System.Globalization;
using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// --vrrp and its options: a group that speaks VRRP (RFC 3768 version 2, RFC 5798
/// version 3) instead of CARP, with keepalived's settings under keepalived's names. Bad
/// values end the command line with status 1, as ucarp's own errors do. A command line
/// without these options is checked exactly as ucarp checks it.
/// </summary>
public static class VrrpOptions
{
    public const byte DefaultPriority = 100;            // RFC 5798 §5.2.4, keepalived's default
    public const byte OwnerPriority = 255;
    public const ushort DefaultAdvertIntervalCentis = 100;
    public const ushort MaxAdvertIntervalCentisV3 = 4095;  // 12 bits of centiseconds
    public const ushort MaxAdvertIntervalCentisV2 = 25500; // 8 bits of whole seconds
    public const long MaxPreemptDelay = 1_000_000_000;   // 1000 s, keepalived's bound
    /// <summary>RFC 3768 §5.3.10: the simple text password fills 8 bytes.</summary>
    public const int MaxPasswordBytesV2 = 8;
    /// <summary>The count field is one byte.</summary>
    public const int MaxAddressesV4 = 255;
    /// <summary>
    /// A 1500-byte Ethernet frame (what the sockets' buffers hold) less Ethernet (14), IPv6
    /// (40) and VRRP (8) headers holds 89 addresses of 16 bytes; keepalived's limit too.
    /// </summary>
    public const int MaxAddressesV6 = 89;

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        switch (option)
        {
            case OptionTable.Vrrp:
                if (arg is not ("2" or "3"))
                {
                    return Fail(log, Messages.VrrpBadVersion(arg));
                }
                config.Vrrp = (byte)(arg[0] - '0');
                return true;
            case OptionTable.Priority:
                if (!int.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out int priority) || priority < 1 || priority > OwnerPriority)
                {
                    return Fail(log, Messages.BadCount("--priority", arg, OwnerPriority));
                }
                config.Priority = (byte)priority;
                config.PriorityGiven = true;
                return true;
            case OptionTable.AdvertInt:
                // The version may come later on the line: its own range is checked in ValidateProtocol.
                if (!TryParseCentis(arg, out ushort centis))
                {
                    return Fail(log, Messages.VrrpBadAdvertInt(arg));
                }
                config.AdvertIntervalCentis = centis;
                config.AdvertIntervalGiven = true;
                return true;
            case OptionTable.NoPreempt:
                config.NoPreempt = true;
                return true;
            case OptionTable.PreemptDelay:
                if (!TryParseDelay(arg, out long delay))
                {
                    return Fail(log, Messages.VrrpBadPreemptDelay(arg));
                }
                config.PreemptDelay = delay;
                config.PreemptDelayGiven = true;
                return true;
            case OptionTable.VrrpChecksum:
                if (arg is not ("pseudo" or "rfc"))
                {
                    return Fail(log, Messages.VrrpBadChecksum(arg));
                }
                config.VrrpChecksumRfc = arg == "rfc";
                config.VrrpChecksumGiven = true;
                return true;
            case OptionTable.FromKeepalived:
                if (arg.Length == 0)
                {
                    return Fail(log, Messages.PathNeeded("--from-keepalived"));
                }
                config.FromKeepalived = arg;
                return true;
        }
        return false;
    }

    /// <summary>
    /// A VRRP group's checks in place of ucarp's password check, before its -b/-k/-r checks:
    /// the options VRRP replaces are refused first, named with what to give instead.
    /// Nothing for a CARP group. 0, or the exit status.
    /// </summary>
    public static int ValidateProtocol(Configuration config, ILog log)
    {
        if (config.Vrrp == 0)
        {
            return 0;
        }
        string? refusal =
              config.AdvBaseGiven ? Messages.VrrpRefusesAdvbase
            : config.AdvSkewGiven ? Messages.VrrpRefusesAdvskew
            : config.DeadRatioGiven ? Messages.VrrpRefusesDeadRatio
            : config.PreemptGiven ? Messages.VrrpRefusesPreempt
            : config.NoMulticast ? Messages.VrrpRefusesNoMulticast
            : config.NoBowOut ? Messages.VrrpRefusesNoBowOut
            : config.EtcdEndpoints.Count != 0 ? Messages.VrrpRefusesEtcd("--etcd")
            : config.FollowKey is not null ? Messages.VrrpRefusesEtcd("--follow-key")
            // ucarp's "no password" does not apply: VRRP runs without one (v2: none or PASS; v3: none).
            : config.Vrrp == 3 && !string.IsNullOrEmpty(config.Password) ? Messages.VrrpV3Password
            // Latin-1 text: one char, one byte, as ucarp's passwords are.
            : config.Vrrp == 2 && config.Password?.Length > MaxPasswordBytesV2 ? Messages.VrrpV2PasswordTooLong(MaxPasswordBytesV2)
            : config.Vrrp == 3 && config.AdvertIntervalCentis > MaxAdvertIntervalCentisV3 ? Messages.VrrpAdvertIntV3(Seconds(config.AdvertIntervalCentis))
            : config.Vrrp == 2 && config.AdvertIntervalCentis % 100 != 0 ? Messages.VrrpAdvertIntV2(Seconds(config.AdvertIntervalCentis))
            : config.NoPreempt && config.PreemptDelayGiven ? Messages.VrrpPreemptDelayWithNoPreempt
            : config.NoPreempt && config.Priority == OwnerPriority ? Messages.VrrpOwnerNoPreempt
            : config.CheckWeight != 0 && config.Priority == OwnerPriority ? Messages.VrrpOwnerCheckWeight
            : null;
        return Refuse(log, refusal);
    }

    /// <summary>
    /// After every other check (the family is known, -a and --extra-addr are checked): a
    /// CARP group may not give a VRRP option; a VRRP group's addresses must suit its
    /// version and family. 0, or the exit status.
    /// </summary>
    public static int Validate(Configuration config, ILog log)
    {
        if (config.Vrrp == 0)
        {
            string? option =
                  config.PriorityGiven ? "--priority"
                : config.AdvertIntervalGiven ? "--advert-int"
                : config.NoPreempt ? "--no-preempt"
                : config.PreemptDelayGiven ? "--preempt-delay"
                : config.VrrpChecksumGiven ? "--vrrp-checksum"
                : null;
            return Refuse(log, option is null ? null : Messages.VrrpOptionWithoutVrrp(option));
        }
        bool v6 = config.VirtualAddress.IsV6;
        int count = config.ExtraAddresses.Count + 1;
        string? refusal =
              v6 && config.Vrrp == 2 ? Messages.VrrpV2IPv6(config.VirtualAddressText ?? config.VirtualAddress.ToString())
            : config.VrrpChecksumGiven && (config.Vrrp == 2 || v6) ? Messages.VrrpChecksumNotV3IPv4
            // RFC 5798 §5.1.2.1; keepalived sends from a global address only to unicast peers.
            : v6 && config.Peers.Count == 0 && !IsLinkLocal(config.SourceAddress) ? Messages.VrrpSourceNotLinkLocal(config.SourceAddress.ToString())
            : !v6 && count > MaxAddressesV4 ? Messages.VrrpTooManyAddresses(count, MaxAddressesV4, Messages.VrrpAddressesV4)
            : v6 && count > MaxAddressesV6 ? Messages.VrrpTooManyAddresses(count, MaxAddressesV6, Messages.VrrpAddressesV6)
            : null;
        return Refuse(log, refusal);
    }

    /// <summary>--check-weight's error without --check, in the words of the group's protocol.</summary>
    public static string CheckWeightWithoutCheck(Configuration config) =>
        config.Vrrp == 0 ? Messages.CheckWeightWithoutCheck : Messages.VrrpCheckWeightWithoutCheck;

    /// <summary>
    /// Seconds with at most two decimals ("1", "0.25"), from 0.01 to 255 (the larger of the
    /// versions' bounds), in centiseconds. Decimal, not binary: "0.29" is 29 exactly.
    /// </summary>
    public static bool TryParseCentis(string text, out ushort centis)
    {
        centis = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds))
        {
            return false;
        }
        // Range first: a huge value times 100 would overflow decimal.
        if (seconds < 0.01m || seconds > MaxAdvertIntervalCentisV2 / 100m)
        {
            return false;
        }
        decimal hundredths = seconds * 100m;
        if (hundredths != decimal.Truncate(hundredths))
        {
            return false;   // a third decimal: the wire cannot carry it, and rounding would hide it
        }
        centis = (ushort)hundredths;
        return true;
    }

    /// <summary>Seconds, fractions allowed, from 0 to 1000, in microseconds (finer digits are dropped).</summary>
    public static bool TryParseDelay(string text, out long microseconds)
    {
        microseconds = 0;
        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds)
            || seconds > MaxPreemptDelay / 1_000_000m)
        {
            return false;
        }
        microseconds = (long)(seconds * 1_000_000m);
        return true;
    }

    /// <summary>fe80::/10, RFC 4291 §2.5.6.</summary>
    public static bool IsLinkLocal(IpAddress a) => a.IsV6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;

    /// <summary>Centiseconds as the seconds a user writes: 150 is "1.5".</summary>
    static string Seconds(ushort centis) => (centis / 100m).ToString("0.##", CultureInfo.InvariantCulture);

    static int Refuse(ILog log, string? refusal)
    {
        if (refusal is null)
        {
            return 0;
        }
        log.Write(LogLevel.Error, refusal);
        return 1;
    }

    static bool Fail(ILog log, string message)
    {
        log.Write(LogLevel.Error, message);
        return false;
    }
}
