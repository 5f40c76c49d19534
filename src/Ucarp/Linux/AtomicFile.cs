namespace Ucarp.Linux;

/// <summary>
/// Replaces a file's content atomically: written beside it under a temporary name, then
/// renamed over it, so a reader (jq, node_exporter) sees the old or the new document,
/// never half of one.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Returns null on success, else the reason.</summary>
    public static string? Replace(string path, string content)
    {
        string temporary = path + ".tmp." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllText(temporary, content);
            File.Move(temporary, path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception ignored) when (ignored is IOException or UnauthorizedAccessException)
            {
                // Nothing more to do: the directory itself is the trouble.
            }
            return e.Message;
        }
    }
}
