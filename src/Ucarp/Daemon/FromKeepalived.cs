using System.Net.NetworkInformation;
using System.Net.Sockets;
using Ucarp.Core;
using Ucarp.Core.Cli;
using Ucarp.Core.Config;
using Ucarp.Core.Keepalived;
using Ucarp.Core.Logging;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>
/// `ucarp --from-keepalived=FILE`: prints a --config file for keepalived.conf's VRRP part
/// on stdout, what is not converted on stderr ("FILE:LINE: not converted: ..."), and exits
/// with the conversion's status (0, 1 or 2: <see cref="KeepalivedConversion"/>). Run on the
/// host keepalived runs on: an instance without unicast_src_ip takes -s from its
/// interface's address here, as keepalived does when it starts.
/// </summary>
internal static class FromKeepalived
{
    public static int Run(Configuration cmd, Logger log)
    {
        // Anything else on the line would be ignored: refused instead, as --config refuses group options.
        IReadOnlyList<string> groupOptions = ReloadDiff.Differences(new GroupOptions("-", 0, new Configuration()), new GroupOptions("-", 0, cmd));
        if (cmd.ConfigFile is not null || cmd.CheckConfig || groupOptions.Count != 0)
        {
            log.Write(LogLevel.Error, Messages.FromKeepalivedAlone);
            return KeepalivedConversion.NotRead;
        }
        string shown = cmd.FromKeepalived!;
        KeepalivedConversion result;
        try
        {
            result = KeepalivedConverter.Convert(Path.GetFullPath(shown), shown, new KeepalivedFiles(), new KeepalivedHost(ConfigId(), InterfaceAddress));
        }
        catch (Exception e)
        {
            // The converter answers every input with diagnostics; this is a bug, said as one, never a stack trace.
            log.Write(LogLevel.Error, Messages.FromKeepalivedBug(e.GetType().Name, e.Message));
            return KeepalivedConversion.NotRead;
        }
        // Written here and now, whole: the logger's queue drops lines a slow console does not take, and its exit flush is bounded.
        if (result.ExitStatus != KeepalivedConversion.NotRead)
        {
            WriteAll(Console.OpenStandardOutput(), result.Text);
        }
        WriteAll(Console.OpenStandardError(), string.Concat(Lists.ConvertAll(result.Diagnostics, d => d.Format() + "\n")));
        return result.ExitStatus;
    }

    static void WriteAll(Stream stream, string text)
    {
        try
        {
            using (stream)
            {
                stream.Write(CStrings.Bytes(text));
            }
        }
        catch (IOException)
        {
            // A closed pipe (| head): the exit status still says how the conversion went.
        }
    }

    /// <summary>keepalived's default config id for "@ID" lines: the host name up to its first dot (.NET's MachineName on Linux).</summary>
    static string? ConfigId()
    {
        try
        {
            return Environment.MachineName;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The address keepalived sends from on <paramref name="iface"/>: its first IPv4 address (the primary), or its link-local IPv6 one.</summary>
    static string? InterfaceAddress(string iface, bool v6)
    {
        try
        {
            NetworkInterface? nic = Array.Find(NetworkInterface.GetAllNetworkInterfaces(), n => n.Name == iface);
            if (nic is null)
            {
                return null;
            }
            foreach (UnicastIPAddressInformation address in nic.GetIPProperties().UnicastAddresses)
            {
                if (v6 ? address.Address.AddressFamily == AddressFamily.InterNetworkV6 && address.Address.IsIPv6LinkLocal
                       : address.Address.AddressFamily == AddressFamily.InterNetwork)
                {
                    // Without the %scope a link-local address carries in .NET's text.
                    return address.Address.ToString().Split('%')[0];
                }
            }
            return null;
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }
}
