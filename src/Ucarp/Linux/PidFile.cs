using System.Globalization;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>--pidfile: refuse to start when it names a live ucarp; write our pid; remove it on exit.</summary>
internal static class PidFile
{
    /// <summary>The pid of a running ucarp the file names (not us), else null: a stale file is simply replaced.</summary>
    public static int? RunningOwner(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0 || pid == Environment.ProcessId)
        {
            return null;
        }
        // A pid is reused: only a process whose name is ucarp counts.
        try
        {
            string comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            return comm == "ucarp" ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static bool TryWrite(string path, out SysError error) =>
        AtomicFile.TryReplace(path, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n", out error);

    /// <summary>Removes the file if it still names us (another daemon may have taken it over).</summary>
    public static void Remove(string path)
    {
        try
        {
            if (File.ReadAllText(path).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already, or not ours to remove.
        }
    }
}
