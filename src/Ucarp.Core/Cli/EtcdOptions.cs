using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>--etcd and its companions: the election on an etcd v3 cluster instead of CARP adverts.</summary>
public static class EtcdOptions
{
    public const string DefaultPrefix = "/ucarp";

    /// <summary>
    /// The lease's TTL without --etcd-ttl: advbase x deadratio seconds, but at least
    /// <see cref="MinimumDefaultTtl"/>. At etcd's default election timeout (1 s, so an
    /// election can take up to about 2 s after the leader dies) a holder must ride out an
    /// election between its last answered renewal and its fence: TTL - TTL/3 (the fence's
    /// margin) - TTL/9 (a holder's renewal interval) must exceed 2 s with room to spare,
    /// which 3 s (1.7 s) does not and 5 s (2.8 s) does.
    /// </summary>
    public const int MinimumDefaultTtl = 5;
    public const int MaxTtl = 3600;

    public static long DefaultTtl(Configuration config) => Math.Max(MinimumDefaultTtl, (long)config.AdvBase * config.DeadRatio);

    /// <summary>The TTL the lease is asked for.</summary>
    public static long Ttl(Configuration config) => config.EtcdTtl ?? DefaultTtl(config);

    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        switch (option)
        {
            case OptionTable.Etcd:
                config.EtcdEndpoints.Clear();
                foreach (string part in arg.Split(','))
                {
                    string text = part.Trim();
                    if (!EtcdEndpoint.TryParse(text, out EtcdEndpoint? endpoint))
                    {
                        log.Write(LogLevel.Error, Messages.EtcdBadEndpoint(text));
                        return false;
                    }
                    config.EtcdEndpoints.Add(endpoint!);
                }
                return true;
            case OptionTable.EtcdPrefix:
                string prefix = arg.TrimEnd('/');
                if (!arg.StartsWith('/') || prefix.Length == 0)
                {
                    log.Write(LogLevel.Error, Messages.EtcdBadPrefix(arg));
                    return false;
                }
                config.EtcdPrefix = prefix;
                return true;
            case OptionTable.EtcdTtl:
                if (!int.TryParse(arg, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ttl)
                    || ttl < 1 || ttl > MaxTtl)
                {
                    log.Write(LogLevel.Error, Messages.EtcdBadTtl(arg, MaxTtl));
                    return false;
                }
                config.EtcdTtl = ttl;
                return true;
            case OptionTable.FollowKey:
            case OptionTable.FollowValue:
                if (arg.Length == 0)
                {
                    log.Write(LogLevel.Error, Messages.FollowNeedsText(option == OptionTable.FollowKey ? "--follow-key" : "--follow-value"));
                    return false;
                }
                if (option == OptionTable.FollowKey)
                {
                    config.FollowKey = arg;
                }
                else
                {
                    config.FollowValue = arg;
                }
                return true;
        }
        if (arg.Length == 0)
        {
            log.Write(LogLevel.Error, Messages.PathNeeded(Name(option)));
            return false;
        }
        switch (option)
        {
            case OptionTable.EtcdCaCert: config.EtcdCaCert = arg; break;
            case OptionTable.EtcdCert: config.EtcdCert = arg; break;
            case OptionTable.EtcdKey: config.EtcdKey = arg; break;
            case OptionTable.EtcdUser: config.EtcdUser = arg; break;
            case OptionTable.EtcdPasswordFile: config.EtcdPasswordFile = arg; break;
        }
        return true;
    }

    /// <summary>After ucarp's checks: the etcd options hang together, and CARP's transport options are not given.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        bool etcd = config.EtcdEndpoints.Count != 0;
        if (ValidateFollow(config, etcd, log) != 0)
        {
            return 1;
        }
        if (!etcd)
        {
            if (config.EtcdPrefixGiven || config.EtcdCaCert is not null || config.EtcdCert is not null || config.EtcdKey is not null
                || config.EtcdUser is not null || config.EtcdPasswordFile is not null || config.EtcdTtl is not null)
            {
                log.Write(LogLevel.Error, Messages.EtcdOptionsWithoutEtcd);
                return 1;
            }
            return 0;
        }
        if (config.Peers.Count != 0 || config.NoMulticast || config.MulticastGiven)
        {
            log.Write(LogLevel.Error, Messages.EtcdWithCarpTransport);
            return 1;
        }
        bool https = config.EtcdEndpoints.Exists(u => u.Https);
        if (https && config.EtcdEndpoints.Exists(u => !u.Https))
        {
            log.Write(LogLevel.Error, Messages.EtcdMixedSchemes);
            return 1;
        }
        if ((config.EtcdCert is null) != (config.EtcdKey is null))
        {
            log.Write(LogLevel.Error, Messages.EtcdCertNeedsKey);
            return 1;
        }
        if (!https && (config.EtcdCaCert is not null || config.EtcdCert is not null))
        {
            log.Write(LogLevel.Error, Messages.EtcdTlsNeedsHttps);
            return 1;
        }
        if ((config.EtcdUser is null) != (config.EtcdPasswordFile is null))
        {
            log.Write(LogLevel.Error, Messages.EtcdUserNeedsPassword);
            return 1;
        }
        if (!https && config.EtcdUser is not null)
        {
            log.Write(LogLevel.Warning, Messages.EtcdPasswordInClear);
        }
        return 0;
    }

    /// <summary>
    /// --follow-key reads its key from etcd, with --etcd's TLS and credentials; -P and
    /// --check-weight weigh nodes in an election, and there is none.
    /// </summary>
    static int ValidateFollow(Configuration config, bool etcd, ILog log)
    {
        string? refusal = config.FollowKey is null
            ? config.FollowValue is null ? null : Messages.FollowValueWithoutKey
            : !etcd ? Messages.FollowKeyWithoutEtcd
            : config.Preempt ? Messages.FollowKeyWith("-P/--preempt")
            : config.CheckWeight != 0 ? Messages.FollowKeyWith("--check-weight")
            : null;
        if (refusal is null)
        {
            return 0;
        }
        log.Write(LogLevel.Error, refusal);
        return 1;
    }

    /// <summary>The virtual address's key: the prefix, a slash, the address in its canonical text.</summary>
    public static string Key(Configuration config) => config.EtcdPrefix + "/" + config.VirtualAddress;

    static string Name(char option) => option switch
    {
        OptionTable.EtcdCaCert => "--etcd-cacert",
        OptionTable.EtcdCert => "--etcd-cert",
        OptionTable.EtcdKey => "--etcd-key",
        OptionTable.EtcdUser => "--etcd-user",
        _ => "--etcd-password-file",
    };
}
