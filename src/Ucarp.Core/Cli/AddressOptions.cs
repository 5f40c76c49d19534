using Ucarp.Core.Logging;

namespace Ucarp.Core.Cli;

/// <summary>
/// --extra-addr: more addresses for the group, of -a's family. -a stays the address the
/// adverts' HMAC covers, so peers running ucarp 1.5.2 see the same adverts.
/// --manage-addresses: the daemon adds and removes the group's addresses itself.
/// </summary>
public static class AddressOptions
{
    public static bool TryApply(char option, string arg, Configuration config, ILog log)
    {
        if (option == OptionTable.ManageAddresses)
        {
            config.ManageAddresses = true;
            return true;
        }
        if (!Inet.TryParse(arg, out IpAddress address))
        {
            log.Write(LogLevel.Error, Messages.ExtraAddrNotAnAddress(arg));
            return false;
        }
        // Repeats are refused in Validate, once -a is known whatever the order.
        config.ExtraAddresses.Add(address);
        return true;
    }

    /// <summary>After the family check (-a is given): 0, or the exit status.</summary>
    public static int Validate(Configuration config, ILog log)
    {
        IpAddress vip = config.VirtualAddress;
        string vipText = config.VirtualAddressText ?? vip.ToString();
        var seen = new HashSet<IpAddress>();
        foreach (IpAddress extra in config.ExtraAddresses)
        {
            if (extra.Family != vip.Family)
            {
                log.Write(LogLevel.Error, Messages.FamilyMismatch("--extra-addr", extra.ToString(), vipText));
                return 1;
            }
            if (extra.Equals(vip))
            {
                log.Write(LogLevel.Error, Messages.ExtraAddrIsVirtual(extra.ToString()));
                return 1;
            }
            if (!seen.Add(extra))
            {
                log.Write(LogLevel.Error, Messages.ExtraAddrTwice(extra.ToString()));
                return 1;
            }
        }
        return 0;
    }
}
