using Ucarp.Core;
using Ucarp.Core.Config;
using Ucarp.Core.Logging;
using Ucarp.Linux;

namespace Ucarp.Daemon;

/// <summary>The config file read whole (bounded) and checked: what --config starts from and a reload compares with.</summary>
internal static class ConfigFile
{
    /// <summary>
    /// Reads and checks the file. The result's diagnostics hold every problem (a file that
    /// cannot be read is one problem at line 0); a file that holds a password and that
    /// group or others can read gets -o's warning.
    /// </summary>
    /// <param name="directory">
    /// Where relative file names in the file (-o, the etcd files) are found: the directory
    /// the daemon was started from, at start and at every reload alike (the daemon under -B
    /// has moved to /), so a reload reads the same files and sees the same settings.
    /// </param>
    public static ConfigReadResult Load(string path, string directory)
    {
        byte[] bytes;
        if (Directory.Exists(path))
        {
            return new ConfigReadResult([], [ConfigDiagnostic.Error(0, Messages.ConfigIsDirectory)], false);
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            // One byte more than the limit: the reader then says the file is too large.
            bytes = new byte[Math.Min(stream.Length, ConfigTokenizer.MaxFileChars + 1)];
            int used = 0;
            while (used < bytes.Length && stream.Read(bytes, used, bytes.Length - used) is int n and > 0)
            {
                used += n;
            }
            bytes = bytes[..used];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new ConfigReadResult([], [ConfigDiagnostic.Error(0, Describe(e))], false);
        }
        ConfigReadResult result = ConfigReader.Read(bytes, p => Passfile.ReadFirstLine(Path.GetFullPath(p, directory)));
        foreach (GroupOptions g in result.Groups)
        {
            Core.Cli.Configuration c = g.Settings;
            c.EtcdCaCert = Full(c.EtcdCaCert, directory);
            c.EtcdCert = Full(c.EtcdCert, directory);
            c.EtcdKey = Full(c.EtcdKey, directory);
            c.EtcdPasswordFile = Full(c.EtcdPasswordFile, directory);
        }
        var diagnostics = new List<ConfigDiagnostic>(result.Diagnostics);
        if (result.HoldsPassword && ConfigPermissions.PasswordExposed(SafeMode(path), true))
        {
            diagnostics.Insert(0, ConfigDiagnostic.Warning(0, Messages.PassfileReadable(path)));
        }
        if (!result.HasErrors && result.Groups.Count == 0)
        {
            diagnostics.Add(ConfigDiagnostic.Error(0, Messages.ConfigNoGroups));
        }
        ConfigHostChecks.Add(result.Groups, diagnostics, directory);
        return result with { Diagnostics = diagnostics };
    }

    static string? Full(string? path, string directory) => path is null ? null : Path.GetFullPath(path, directory);

    static UnixFileMode SafeMode(string path)
    {
        try
        {
            return File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>strerror's words where .NET has them (ENOENT, EACCES), else its message.</summary>
    static string Describe(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => e.Message,
    };

    /// <summary>Every diagnostic as "FILE:LINE: message", errors and warnings alike, in the file's order.</summary>
    public static List<string> Lines(ConfigReadResult result, string path) =>
        Lists.SortedBy(result.Diagnostics, d => d.Line).ConvertAll(d => d.Format(path));
}
