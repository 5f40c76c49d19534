using System.Text;
using Ucarp.Core.Keepalived;

namespace Ucarp.Core.Tests.Keepalived;

/// <summary>Files in memory: text by absolute path, symlinks as aliases (one identity), some marked executable or not regular.</summary>
sealed class MemoryFiles : IKeepalivedFiles
{
    readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
    readonly HashSet<string> _notRegular = new(StringComparer.Ordinal);
    public List<string> Reads { get; } = [];

    public MemoryFiles Add(string path, string text)
    {
        _files[path] = Encoding.Latin1.GetBytes(text);
        return this;
    }

    public MemoryFiles Add(string path, byte[] bytes)
    {
        _files[path] = bytes;
        return this;
    }

    public MemoryFiles Link(string path, string target)
    {
        _links[path] = target;
        return this;
    }

    public MemoryFiles NotRegular(string path)
    {
        _notRegular.Add(path);
        return this;
    }

    static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
            }
            else if (part is not ("" or "."))
            {
                parts.Add(part);
            }
        }
        return "/" + string.Join("/", parts);
    }

    string Resolve(string path)
    {
        path = Normalize(path);
        for (int i = 0; i < 40 && _links.TryGetValue(path, out string? target); i++)
        {
            path = Normalize(target.StartsWith('/') ? target : KeepalivedGlob.Join(KeepalivedGlob.DirectoryOf(path), target));
        }
        return path;
    }

    public KeepalivedFileRead Read(string path, int limit)
    {
        Reads.Add(path);
        string real = Resolve(path);
        if (_notRegular.Contains(real) || _files.Keys.Any(k => k.StartsWith(real + "/", StringComparison.Ordinal)))
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.NotRegular, "not regular");
        }
        if (!_files.TryGetValue(real, out byte[]? bytes))
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.Missing, "No such file or directory");
        }
        return bytes.Length > limit ? KeepalivedFileRead.Fail(KeepalivedFileStatus.TooLarge, "too large") : KeepalivedFileRead.Ok(bytes, real);
    }

    public IReadOnlyList<string>? List(string directory)
    {
        string dir = Resolve(directory.TrimEnd('/'));
        string prefix = dir == "/" ? "/" : dir + "/";
        List<string> names = [.. _files.Keys.Concat(_links.Keys).Concat(_notRegular)
                                  .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
                                  .Select(k => k[prefix.Length..].Split('/')[0]).Distinct()];
        return names.Count == 0 ? null : names;
    }
}

/// <summary>The test inputs on disk (copied beside the tests), read as the daemon reads them but for FIFOs and devices.</summary>
sealed class DiskFiles : IKeepalivedFiles
{
    public KeepalivedFileRead Read(string path, int limit)
    {
        if (Directory.Exists(path))
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.NotRegular, "Is a directory");
        }
        if (!File.Exists(path))
        {
            return KeepalivedFileRead.Fail(KeepalivedFileStatus.Missing, "No such file or directory");
        }
        byte[] bytes = File.ReadAllBytes(path);
        return bytes.Length > limit ? KeepalivedFileRead.Fail(KeepalivedFileStatus.TooLarge, "too large")
                                    : KeepalivedFileRead.Ok(bytes, Path.GetFullPath(path));
    }

    public IReadOnlyList<string>? List(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFileSystemEntries(directory).Select(p => Path.GetFileName(p)).ToList() : null;
}

static class KeepalivedFakes
{
    /// <summary>This host for the tests: eth0 is 192.0.2.1 and fe80::1, eth1 is 198.51.100.1; no other interface.</summary>
    public static string? InterfaceAddress(string iface, bool v6) => (iface, v6) switch
    {
        ("eth0", false) => "192.0.2.1",
        ("eth0", true) => "fe80::1",
        ("eth1", false) => "198.51.100.1",
        _ => null,
    };

    public static readonly KeepalivedHost Host = new("gw1", InterfaceAddress);

    /// <summary>One file, /etc/keepalived/keepalived.conf, shown as keepalived.conf.</summary>
    public static KeepalivedConversion Convert(string text) =>
        KeepalivedConverter.Convert("/etc/keepalived/keepalived.conf", "keepalived.conf",
                                    new MemoryFiles().Add("/etc/keepalived/keepalived.conf", text), Host);

    public static string Stderr(KeepalivedConversion c) => string.Join("\n", c.Diagnostics.Select(d => d.Format()));

    /// <summary>The output with each note's wrapped lines joined back.</summary>
    public static string Notes(KeepalivedConversion c) => c.Text.Replace("\n#   ", " ", StringComparison.Ordinal);

    /// <summary>The printed groups' lines, continuation lines joined, comments dropped.</summary>
    public static List<string> GroupLines(KeepalivedConversion c) =>
        [.. c.Text.Replace("\\\n", "", StringComparison.Ordinal).Split('\n').Where(l => l.StartsWith("group ", StringComparison.Ordinal))
                  .Select(l => string.Join(" ", l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))];
}
