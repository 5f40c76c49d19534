using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>The result of a command-line stage: carry on with a configuration, or exit with a status.</summary>
public readonly record struct CliOutcome(Configuration? Configuration, int ExitCode)
{
    public static CliOutcome Exit(int code) => new(null, code);
    public bool ShouldExit => Configuration is null;
}

/// <summary>
/// ucarp.c:main up to docarp(): option parsing, then validation, with the same
/// messages, streams, order and exit statuses. The host opens syslog between the two
/// stages, as ucarp does.
/// </summary>
public static class CommandLine
{
    const int PassfileBuffer = 512;

    public static CliOutcome Parse(string program, IReadOnlyList<string> args, bool posixlyCorrect, ICliHost host)
    {
        if (args.Count == 0)
        {
            return Usage(host);
        }
        var config = new Configuration();
        var getopt = new GetoptLong(program, OptionTable.ShortOptions, OptionTable.LongOptions, args, posixlyCorrect, host.WriteStderr);
        while (true)
        {
            GetoptResult step = getopt.Next();
            if (step.Kind == GetoptResultKind.End)
            {
                return new CliOutcome(config, 0);
            }
            if (step.Kind == GetoptResultKind.Error)
            {
                return Usage(host);
            }
            if (Option.Apply(step, config, host) is CliOutcome exit)
            {
                return exit;
            }
        }
    }

    /// <summary>
    /// One option and its argument applied to a configuration: the one step the command
    /// line and a config file's groups share, so an option means the same in both.
    /// </summary>
    public static class Option
    {
        /// <returns>null to carry on, or how the command line ends (the message is written).</returns>
        public static CliOutcome? Apply(GetoptResult step, Configuration config, ICliHost host)
        {
            string arg = step.Argument ?? "";
            switch (step.Option)
            {
                case 'h':
                    return Usage(host);
                case 'i':
                    config.Interface = arg;
                    break;
                case 's':
                case 'm':
                case 'a':
                    if (!Inet.TryParse(arg, out IpAddress address))
                    {
                        host.Write(LogLevel.Error, Messages.InvalidAddress(arg));
                        return CliOutcome.Exit(1);
                    }
                    if (step.Option == 's')
                    {
                        config.SourceAddress = address;
                    }
                    else if (step.Option == 'm')
                    {
                        config.MulticastAddress = address;
                        config.MulticastGiven = true;
                    }
                    else
                    {
                        config.VirtualAddress = address;
                        config.VirtualAddressText = arg;
                    }
                    break;
                case 'v':
                    if (CNumbers.StrToUL(arg) > 255 || CNumbers.StrToL(arg) < 1)
                    {
                        host.Write(LogLevel.Error, Messages.VhidRange);
                        return CliOutcome.Exit(1);
                    }
                    config.Vhid = (byte)CNumbers.StrToUL(arg);
                    break;
                case 'p':
                    config.Password = arg;
                    break;
                case 'o':
                    if (!ReadPassfile(arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case 'P':
                    config.Preempt = true;
                    break;
                case 'n':
                    config.Neutral = true;
                    break;
                case 'b':
                    config.AdvBase = unchecked((byte)CNumbers.StrToUL(arg));
                    config.AdvBaseGiven = true;
                    break;
                case 'k':
                    config.AdvSkew = unchecked((byte)CNumbers.StrToUL(arg));
                    config.AdvSkewGiven = true;
                    break;
                case 'd':
                    config.DownScript = arg;
                    break;
                case 'D':
                    config.Debug = true;
                    break;
                case 'u':
                    config.UpScript = arg;
                    break;
                case 'r':
                    config.DeadRatio = unchecked((uint)CNumbers.StrToUL(arg));
                    config.DeadRatioGiven = true;
                    break;
                case 'z':
                    config.ShutdownAtExit = true;
                    break;
                case 'B':
                    config.Daemonize = true;
                    break;
                case 'S':
                    config.IgnoreInterfaceState = true;
                    break;
                case 'f':
                    if (string.Equals(arg, "none", StringComparison.OrdinalIgnoreCase))
                    {
                        config.NoSyslog = true;
                        host.DisableSyslog();
                    }
                    else if (SyslogFacilities.TryLookup(arg, out int facility))
                    {
                        config.SyslogFacility = facility;
                    }
                    else
                    {
                        host.Write(LogLevel.Error, Messages.UnknownFacility(arg));
                    }
                    break;
                case 'x':
                    config.XParam = arg;
                    break;
                case 'M':
                    config.NoMulticast = true;
                    break;
                case OptionTable.NoBowOut:
                case OptionTable.Check:
                case OptionTable.CheckInterval:
                case OptionTable.CheckTimeout:
                case OptionTable.CheckFall:
                case OptionTable.CheckRise:
                case OptionTable.CheckWeight:
                    if (!HandoverOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.Peer:
                    if (!PeerOptions.TryApply(arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.Etcd:
                case OptionTable.EtcdPrefix:
                case OptionTable.EtcdCaCert:
                case OptionTable.EtcdCert:
                case OptionTable.EtcdKey:
                case OptionTable.EtcdUser:
                case OptionTable.EtcdPasswordFile:
                case OptionTable.EtcdTtl:
                case OptionTable.FollowKey:
                case OptionTable.FollowValue:
                    if (!EtcdOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.ExtraAddr:
                case OptionTable.ManageAddresses:
                    if (!AddressOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.StateFile:
                case OptionTable.MetricsFile:
                case OptionTable.PidFile:
                case OptionTable.DemotionFile:
                case OptionTable.MetricsListen:
                    if (!MonitoringOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.Sync:
                case OptionTable.Config:
                case OptionTable.CheckConfig:
                case OptionTable.Control:
                    if (!DaemonModeOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.GarpRefresh:
                case OptionTable.Realtime:
                    if (!TimingOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.Vrrp:
                case OptionTable.Priority:
                case OptionTable.AdvertInt:
                case OptionTable.NoPreempt:
                case OptionTable.PreemptDelay:
                case OptionTable.VrrpChecksum:
                case OptionTable.FromKeepalived:
                    if (!VrrpOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                case OptionTable.Vmac:
                case OptionTable.VmacName:
                    if (!VmacOptions.TryApply(step.Option, arg, config, host))
                    {
                        return CliOutcome.Exit(1);
                    }
                    break;
                default:
                    return Usage(host);
            }
            return null;
        }
    }

    /// <summary>
    /// The checks ucarp makes after parsing, in its order. <paramref name="defaultInterface"/>
    /// stands for pcap_lookupdev(), consulted only when no interface was given.
    /// </summary>
    public static int Validate(Configuration config, ILog log, Func<string?> defaultInterface)
    {
        if (string.IsNullOrEmpty(config.Interface))
        {
            string? found = defaultInterface();
            if (string.IsNullOrEmpty(found))
            {
                log.Write(LogLevel.Error, Messages.NoInterface);
                return 1;
            }
            config.Interface = found;
            log.Write(LogLevel.Info, Messages.UsingInterface(found));
        }
        if (config.Vhid == 0)
        {
            log.Write(LogLevel.Error, Messages.NoVhid);
            return 1;
        }
        if (config.Vrrp != 0)
        {
            // A VRRP group: ucarp's options that VRRP replaces are refused here, before
            // ucarp's checks of them would speak of CARP; and it needs no password.
            int vrrp = VrrpOptions.ValidateProtocol(config, log);
            if (vrrp != 0)
            {
                return vrrp;
            }
        }
        else if (string.IsNullOrEmpty(config.Password))
        {
            log.Write(LogLevel.Error, Messages.NoPassword);
            return 1;
        }
        if (config.AdvBase == 0 && config.AdvSkew == 0)
        {
            log.Write(LogLevel.Error, Messages.NoAdvbase);
            return 1;
        }
        if (config.SourceAddress.IsZero)
        {
            log.Write(LogLevel.Error, Messages.NoSourceAddress);
            return 1;
        }
        if (config.VirtualAddress.IsZero)
        {
            log.Write(LogLevel.Error, Messages.NoVirtualAddress);
            return 1;
        }
        // With --manage-addresses a group needs no script: no warning that none is given.
        if (config.UpScript is null && !config.ManageAddresses)
        {
            log.Write(LogLevel.Warning, Messages.NoUpscript);
        }
        if (config.DownScript is null && !config.ManageAddresses)
        {
            log.Write(LogLevel.Warning, Messages.NoDownscript);
        }
        if (config.DeadRatio == 0)
        {
            log.Write(LogLevel.Error, Messages.DeadRatioZero);
            return 1;
        }
        int status = FamilyCheck.Validate(config, log);
        if (status == 0)
        {
            status = AddressOptions.Validate(config, log);
        }
        if (status == 0)
        {
            status = HandoverOptions.Validate(config, log);
        }
        if (status == 0)
        {
            status = PeerOptions.Validate(config, log);
        }
        if (status == 0)
        {
            status = EtcdOptions.Validate(config, log);
        }
        if (status == 0)
        {
            status = VrrpOptions.Validate(config, log);
        }
        return status != 0 ? status : VmacOptions.Validate(config, log);
    }

    static bool ReadPassfile(string path, Configuration config, ICliHost host)
    {
        PassfileRead read = host.ReadPassfile(path);
        switch (read.Status)
        {
            case PassfileStatus.OpenFailed:
                host.Write(LogLevel.Error, Messages.PassfileOpen(path, read.Text));
                return false;
            case PassfileStatus.ReadFailed:
                host.Write(LogLevel.Error, Messages.PassfileRead(path, read.Text));
                return false;
            case PassfileStatus.EndOfFile:
                host.Write(LogLevel.Error, Messages.PassfileRead(path, Messages.UnexpectedEndOfFile));
                return false;
        }
        if (read.ReadableByOthers)
        {
            // ucarp says nothing; a password others can read is worth a word.
            host.Write(LogLevel.Warning, Messages.PassfileReadable(path));
        }
        string line = read.Text.Length > PassfileBuffer - 1 ? read.Text[..(PassfileBuffer - 1)] : read.Text;
        // Only the first "\n" is cut; a "\r" stays part of the password, as in ucarp.
        int newline = line.IndexOf('\n');
        if (newline >= 0)
        {
            line = line[..newline];
        }
        // strdup() stops at the first NUL byte.
        int nul = line.IndexOf('\0');
        config.Password = nul >= 0 ? line[..nul] : line;
        return true;
    }

    static CliOutcome Usage(ICliHost host)
    {
        host.WriteStdout(UsageText.Text);
        return CliOutcome.Exit(0);
    }
}
